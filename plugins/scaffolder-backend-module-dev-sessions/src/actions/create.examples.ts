import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Get or create the dev session of a project, waiting until it is ready',
    example: yaml.stringify({
      steps: [
        {
          id: 'dev-session',
          action: 'dev-session:create',
          name: 'Dev session',
          input: {
            projectUuid: '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10',
            projectId: 'checkout-service',
            size: 'small',
          },
        },
      ],
    }),
  },
  {
    description: 'Create a session for a new project (UUID generated), owned by a team, with chart values',
    example: yaml.stringify({
      steps: [
        {
          id: 'dev-session',
          action: 'dev-session:create',
          name: 'Dev session',
          input: {
            projectId: 'payments-ui',
            owner: 'group:default/payments',
            size: 'large',
            values: { storage: { history: { enabled: true } } },
            timeoutSeconds: 600,
          },
        },
      ],
    }),
  },
  {
    description: 'Start creating the session without waiting for it to be ready',
    example: yaml.stringify({
      steps: [
        {
          id: 'dev-session',
          action: 'dev-session:create',
          name: 'Dev session',
          input: { projectUuid: '7c9e6679-7425-40de-944b-e07fc1f90ae7', wait: false },
        },
      ],
    }),
  },
];
