import { devSessionCreatePermission } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import {
  calling,
  DevSessionActionsOptions,
  projectUuidSchema,
  sessionOutput,
  sessionSchema,
  waitSchema,
} from './shared';

/** `stop-dev-session` and `start-dev-session`: no pod while stopped, the workspace stays. */
export function registerSetRunningActions({
  actionsRegistry,
  sessions,
}: DevSessionActionsOptions) {
  for (const running of [false, true]) {
    actionsRegistry.register({
      name: running ? 'start-dev-session' : 'stop-dev-session',
      title: running ? 'Start a dev session' : 'Stop a dev session',
      description: running
        ? 'Starts a stopped dev session again on the workspace it kept; its links work once it is ready. Starting a running session changes nothing.'
        : 'Stops a dev session: its pod stops (running processes end, so unsaved editor state is lost) and its links stop answering; the workspace, settings and catalog entity are kept, and start brings it back. Stopping a stopped session changes nothing.',
      visibilityPermission: devSessionCreatePermission,
      attributes: { readOnly: false, destructive: false, idempotent: true },
      schema: {
        input: z =>
          z.object({
            projectUuid: projectUuidSchema(z),
            wait: waitSchema(z, running ? 'it is ready' : 'it has stopped'),
          }),
        output: z => z.object({ session: sessionSchema(z) }),
      },
      action: async ({ input, credentials }) => {
        const s = await calling(() =>
          sessions.setRunning(input.projectUuid.toLowerCase(), running, {
            credentials,
            wait: input.wait,
          }),
        );
        return { output: { session: sessionOutput(s) } };
      },
    });
  }
}
