import {
  DEV_SESSION_ROLES,
  devSessionCreatePermission,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { calling, DevSessionActionsOptions, projectUuidSchema } from './shared';

/** `get-dev-session-logs`: the last lines of one container's log. */
export function registerSessionLogsAction({
  actionsRegistry,
  sessions,
}: DevSessionActionsOptions) {
  actionsRegistry.register({
    name: 'get-dev-session-logs',
    title: 'Read a dev session container log',
    description:
      "Reads the last lines of one container's log in a project's dev session: preview (the app), chat (the AI agent) or vscode. For a container that crash-loops, set previous to read the instance before its last restart, where the crash is.",
    visibilityPermission: devSessionCreatePermission,
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z.object({
          projectUuid: projectUuidSchema(z),
          container: z
            .enum(DEV_SESSION_ROLES)
            .describe('preview, chat or vscode'),
          previous: z
            .boolean()
            .default(false)
            .describe('The instance before the last restart (after a crash)'),
          tailLines: z
            .number()
            .int()
            .min(1)
            .max(5000)
            .default(200)
            .describe('The last N lines (1-5000, default 200)'),
        }),
      output: z =>
        z.object({
          pod: z.string(),
          text: z.string(),
          truncated: z
            .boolean()
            .describe('True when the log was cut at the size limit'),
        }),
    },
    action: async ({ input, credentials }) => {
      const logs = await calling(() =>
        sessions.logs(
          input.projectUuid.toLowerCase(),
          {
            container: input.container,
            previous: input.previous,
            tailLines: input.tailLines,
          },
          { credentials },
        ),
      );
      return {
        output: { pod: logs.pod, text: logs.text, truncated: logs.truncated },
      };
    },
  });
}
