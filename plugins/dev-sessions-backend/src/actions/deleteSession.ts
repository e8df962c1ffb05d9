import { devSessionCreatePermission } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import {
  calling,
  DevSessionActionsOptions,
  projectUuidSchema,
  waitSchema,
} from './shared';

/** `delete-dev-session`: deletes a project's session, its workspace and its catalog entity. */
export function registerDeleteSessionAction({
  actionsRegistry,
  sessions,
}: DevSessionActionsOptions) {
  actionsRegistry.register({
    name: 'delete-dev-session',
    title: 'Delete a dev session',
    description:
      "Deletes a project's dev session: its pod, services, persistent workspace (files not pushed elsewhere are lost) and catalog entity. Cannot be undone; to pause a session and keep its workspace, stop it instead. Deleting a project that has no session succeeds and changes nothing.",
    visibilityPermission: devSessionCreatePermission,
    attributes: { readOnly: false, destructive: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          projectUuid: projectUuidSchema(z),
          wait: waitSchema(z, 'the session is gone'),
        }),
      output: z =>
        z.object({
          deleted: z
            .boolean()
            .describe('True once the session is gone (or there was none)'),
          state: z
            .string()
            .optional()
            .describe('"deleting" while it is still being deleted'),
        }),
    },
    action: async ({ input, credentials }) => {
      const still = await calling(() =>
        sessions.delete(input.projectUuid.toLowerCase(), {
          credentials,
          wait: input.wait,
        }),
      );
      return {
        output: still
          ? { deleted: false, state: still.state }
          : { deleted: true },
      };
    },
  });
}
