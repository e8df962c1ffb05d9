import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { templateExample } from './shared';

/** One documented use of dev-session:start, as a template step. */
const example = (description: string, input: Record<string, unknown>) =>
  templateExample(
    {
      id: 'start-dev-session',
      action: 'dev-session:start',
      name: 'Start dev session',
    },
    description,
    input,
  );

export const examples: TemplateExample[] = [
  example('Start the dev session of a project', {
    projectUuid: '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10',
  }),
  example('Start the dev session of a project, waiting up to 15 minutes', {
    projectUuid: '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10',
    timeoutSeconds: 900,
  }),
];
