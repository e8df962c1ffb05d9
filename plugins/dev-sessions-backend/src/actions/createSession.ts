import { randomUUID } from 'node:crypto';
import {
  DEV_SESSION_SIZES,
  devSessionCreatePermission,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import {
  calling,
  DevSessionActionsOptions,
  projectUuidSchema,
  sessionOutput,
  sessionSchema,
  waitSchema,
} from './shared';

/** `create-dev-session`: get-or-create a project's session (never two for one project). */
export function registerCreateSessionAction({
  actionsRegistry,
  sessions,
}: DevSessionActionsOptions) {
  actionsRegistry.register({
    name: 'create-dev-session',
    title: 'Get or create a dev session',
    description:
      "Gets a project's dev session, creating it when there is none: an always-on development environment on Kubernetes with the app preview (port 3000), an AI chat agent (3001) and browser VS Code (8080) on a persistent workspace. Asking again for the same projectUuid returns the existing session (it starts a stopped one and retries a failed one); without projectUuid a new project is made. By default waits until it is ready (a few seconds to minutes) and returns its links.",
    visibilityPermission: devSessionCreatePermission,
    attributes: { readOnly: false, destructive: false, idempotent: true },
    schema: {
      input: z =>
        z.object({
          projectName: z
            .string()
            .min(1)
            .max(100)
            .describe(
              'The project name: letters, digits, spaces, ".", "_" and "-", starting with a letter or digit',
            ),
          projectUuid: projectUuidSchema(z)
            .optional()
            .describe(
              "An existing project's UUID; leave it out to start a new project",
            ),
          size: z
            .enum(DEV_SESSION_SIZES)
            .default('medium')
            .describe(
              'small (1 CPU, 2 GiB, 5 GiB workspace), medium (2 CPU, 4 GiB, 10 GiB) or large (4 CPU, 8 GiB, 20 GiB)',
            ),
          owner: z
            .string()
            .optional()
            .describe(
              'Owner entity ref, the caller or one of their groups (default: the caller)',
            ),
          wait: waitSchema(z, 'the session is ready or has failed'),
        }),
      output: z =>
        z.object({
          session: sessionSchema(z),
          created: z
            .boolean()
            .describe('True when this call created the session'),
        }),
    },
    examples: [
      {
        title: 'A new project',
        input: { projectName: 'Checkout service', size: 'small', wait: true },
      },
    ],
    action: async ({ input, credentials }) => {
      const uuid = input.projectUuid?.toLowerCase() ?? randomUUID();
      const r = await calling(() =>
        sessions.getOrCreate(
          uuid,
          {
            projectId: input.projectName,
            size: input.size,
            owner: input.owner,
          },
          { credentials, wait: input.wait },
        ),
      );
      return {
        output: { session: sessionOutput(r.session), created: r.created },
      };
    },
  });
}
