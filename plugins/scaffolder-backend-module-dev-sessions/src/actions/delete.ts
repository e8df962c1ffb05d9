import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { examples } from './delete.examples';
import {
  DevSessionActionOptions,
  pause,
  projectUuidInput,
  timeoutSecondsInput,
} from './shared';

/**
 * Longest single wait asked of the backend: a DELETE with `wait=true` holds the HTTP request
 * open, and long-held requests are cut by proxies and by fetch's own header timeout (300 s).
 */
const WAIT_PER_REQUEST_SECONDS = 60;

/**
 * `dev-session:delete`: uninstalls a project's dev session, removes its namespace and waits
 * until it is gone. Idempotent: deleting a session that does not exist succeeds.
 * @public
 */
export function createDevSessionDeleteAction(options: DevSessionActionOptions) {
  const { sessions } = options;
  return createTemplateAction({
    id: 'dev-session:delete',
    description:
      "Deletes a project's dev session (helm uninstall and namespace removal) and waits until it is gone",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        projectUuid: z => projectUuidInput(z).describe('Project UUID'),
        timeoutSeconds: z =>
          timeoutSecondsInput(z).describe(
            'How long to wait until the session is gone (default 600 seconds)',
          ),
      },
    },
    async handler(ctx) {
      const projectUuid = ctx.input.projectUuid.toLowerCase();
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would delete the dev session of project ${projectUuid}`,
        );
        return;
      }
      const credentials = await ctx.getInitiatorCredentials();
      const timeoutSeconds = ctx.input.timeoutSeconds ?? 600;
      await ctx.checkpoint({
        key: `dev-session.delete.${projectUuid}`,
        fn: async () => {
          // each DELETE starts the deletion if needed (idempotent) and waits a while for it
          const deadline = Date.now() + timeoutSeconds * 1000;
          for (let attempt = 0; ; attempt++) {
            const remaining = Math.ceil((deadline - Date.now()) / 1000);
            const left = await sessions.delete(projectUuid, {
              credentials,
              wait: true,
              timeoutSeconds: Math.max(
                1,
                Math.min(WAIT_PER_REQUEST_SECONDS, remaining),
              ),
            });
            if (!left) return;
            if (left.state === 'failed') {
              throw new Error(
                `Deleting the dev session of project ${projectUuid} failed: ${
                  left.lastError ?? 'unknown error'
                }`,
              );
            }
            if (attempt === 0) {
              ctx.logger.info(
                `Waiting for the dev session of project ${projectUuid} to be deleted (state ${left.state})`,
              );
            }
            if (Date.now() >= deadline) {
              throw new Error(
                `Timed out after ${timeoutSeconds} seconds waiting for the dev session of project ${projectUuid} to be deleted`,
              );
            }
            if (ctx.signal?.aborted) throw new Error('Task cancelled');
            await pause(options);
          }
        },
      });
      ctx.logger.info(
        `Deleted the dev session of project ${projectUuid} (or there was none)`,
      );
    },
  });
}
