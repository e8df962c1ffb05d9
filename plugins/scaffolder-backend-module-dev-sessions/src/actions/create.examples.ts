import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { templateExample } from './shared';

/** One documented use of dev-session:create, as a template step. */
const example = (description: string, input: Record<string, unknown>) =>
  templateExample(
    { id: 'dev-session', action: 'dev-session:create', name: 'Dev session' },
    description,
    input,
  );

export const examples: TemplateExample[] = [
  example(
    'Get or create the dev session of a project, waiting until it is ready',
    {
      projectUuid: '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10',
      projectId: 'checkout-service',
      size: 'small',
    },
  ),
  example(
    'Create a session for a new project (UUID generated), owned by a team, linked to its component, running its own dev server',
    {
      projectId: 'payments-ui',
      owner: 'group:default/payments',
      component: 'component:default/payments-ui',
      size: 'large',
      values: {
        containers: {
          preview: {
            command: ['npm'],
            args: ['run', 'dev'],
            env: [{ name: 'NODE_ENV', value: 'development' }],
          },
        },
      },
      timeoutSeconds: 600,
    },
  ),
  example('Start creating the session without waiting for it to be ready', {
    projectUuid: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    wait: false,
  }),
];
