import { devSessionCreatePermission } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import {
  calling,
  DevSessionActionsOptions,
  projectUuidSchema,
  sessionOutput,
  sessionSchema,
  statusOutput,
  statusSchema,
} from './shared';

/** `get-dev-session`: one project's session with live status and links. */
export function registerGetSessionAction({
  actionsRegistry,
  sessions,
}: DevSessionActionsOptions) {
  actionsRegistry.register({
    name: 'get-dev-session',
    title: 'Get a dev session',
    description:
      "Gets a project's dev session: its state, owner, size, signed-in links (preview, chat, VS Code) and live status from Kubernetes (the pod, each container's readiness, reason and restarts, warning events). Use it to check whether a session is ready, or why it is not.",
    visibilityPermission: devSessionCreatePermission,
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z => z.object({ projectUuid: projectUuidSchema(z) }),
      output: z =>
        z.object({
          session: sessionSchema(z),
          status: statusSchema(z),
        }),
    },
    examples: [
      {
        title: 'Is my session ready?',
        input: { projectUuid: '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10' },
      },
    ],
    action: async ({ input, credentials }) => {
      const uuid = input.projectUuid.toLowerCase();
      const session = await calling(() => sessions.get(uuid, { credentials }));
      const status = await calling(() =>
        sessions.status(uuid, { credentials }),
      );
      return {
        output: {
          session: sessionOutput(session),
          status: statusOutput(status),
        },
      };
    },
  });
}
