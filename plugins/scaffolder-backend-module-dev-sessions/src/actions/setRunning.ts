import {
  createTemplateAction,
  TemplateExample,
} from '@backstage/plugin-scaffolder-node';
import {
  DevSessionActionOptions,
  pause,
  projectUuidInput,
  timeoutSecondsInput,
} from './shared';

/** Longest single wait asked of the backend (long-held requests are cut by proxies). */
const WAIT_PER_REQUEST_SECONDS = 60;

/**
 * The `dev-session:stop` / `dev-session:start` action: asks the backend to stop (no pod, the
 * workspace stays) or start the project's session and waits until it is `stopped` / `ready`.
 * Idempotent; a session in a state it cannot leave that way (failed, deleting) fails the step.
 */
export function createSetRunningAction(
  options: DevSessionActionOptions,
  running: boolean,
  examples: TemplateExample[],
) {
  const { sessions } = options;
  const verb = running ? 'start' : 'stop';
  const target = running ? 'ready' : 'stopped';
  return createTemplateAction({
    id: `dev-session:${verb}`,
    description: running
      ? "Starts a project's stopped dev session on its kept workspace and waits until it is ready"
      : "Stops a project's dev session (no pod; the workspace and everything else stay) and waits until it is stopped",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        projectUuid: z => projectUuidInput(z).describe('Project UUID'),
        timeoutSeconds: z =>
          timeoutSecondsInput(z).describe(
            `How long to wait until the session is ${target} (default 600 seconds)`,
          ),
      },
      output: {
        state: z => z.string().describe('State of the session afterwards'),
      },
    },
    async handler(ctx) {
      const projectUuid = ctx.input.projectUuid.toLowerCase();
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would ${verb} the dev session of project ${projectUuid}`,
        );
        ctx.output('state', target);
        return;
      }
      const credentials = await ctx.getInitiatorCredentials();
      const timeoutSeconds = ctx.input.timeoutSeconds ?? 600;
      const deadline = Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const remaining = Math.ceil((deadline - Date.now()) / 1000);
        const s = await sessions.setRunning(projectUuid, running, {
          credentials,
          wait: true,
          timeoutSeconds: Math.max(
            1,
            Math.min(WAIT_PER_REQUEST_SECONDS, remaining),
          ),
        });
        if (s.state === target) break;
        if (s.state === 'failed')
          throw new Error(
            `The dev session of project ${projectUuid} failed to ${verb}: ${
              s.lastError ?? 'unknown error'
            }`,
          );
        if (Date.now() >= deadline)
          throw new Error(
            `Timed out after ${timeoutSeconds} seconds waiting for the dev session of project ${projectUuid} to be ${target} (it is ${s.state})`,
          );
        if (ctx.signal?.aborted) throw new Error('Task cancelled');
        await pause(options);
      }
      ctx.logger.info(`The dev session of project ${projectUuid} is ${target}`);
      ctx.output('state', target);
    },
  });
}
