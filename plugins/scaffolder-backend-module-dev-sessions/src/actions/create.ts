import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  DEV_SESSION_SIZES,
  DevSession,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { randomUUID } from 'node:crypto';
import { examples } from './create.examples';
import {
  DevSessionActionOptions,
  pause,
  projectUuidInput,
  timeoutSecondsInput,
} from './shared';

/**
 * `dev-session:create`: get-or-create the dev session of a project through the dev-sessions
 * backend. Idempotent: a re-run (or a retried task) returns the existing session.
 * @public
 */
export function createDevSessionCreateAction(options: DevSessionActionOptions) {
  const { sessions } = options;
  return createTemplateAction({
    id: 'dev-session:create',
    description:
      'Gets or creates the dev session of a project (Helm chart with preview, chat and VS Code) and outputs its URLs',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        projectUuid: z =>
          projectUuidInput(z)
            .optional()
            .describe(
              'Project UUID; generated when absent. Names the namespace.',
            ),
        projectId: z =>
          z
            .string()
            .min(1)
            .max(100)
            .optional()
            .describe('Project id or name (default: the UUID)'),
        owner: z =>
          z
            .string()
            .optional()
            .describe('Owner entity ref (default: the user running the task)'),
        component: z =>
          z
            .string()
            .optional()
            .describe(
              "The project's component entity ref; the session's catalog entity becomes a dependencyOf it",
            ),
        size: z =>
          z
            .enum(DEV_SESSION_SIZES)
            .optional()
            .describe('Size preset: small, medium or large'),
        values: z =>
          z
            .record(z.string(), z.unknown())
            .optional()
            .describe(
              'Chart values the platform lets users set (by default container command, args, plain env, image from an allowed registry and resources within the caps); anything else is refused',
            ),
        wait: z =>
          z
            .boolean()
            .default(true)
            .describe('Wait until the session is ready (default true)'),
        timeoutSeconds: z =>
          timeoutSecondsInput(z).describe('Helm timeout in seconds'),
      },
      output: {
        projectUuid: z => z.string(),
        namespace: z => z.string(),
        releaseName: z => z.string(),
        previewUrl: z => z.string(),
        chatUrl: z => z.string(),
        vscodeUrl: z => z.string(),
        entityRef: z => z.string(),
        state: z => z.string(),
        projectName: z =>
          z.string().describe('The project name the session is stored with'),
        notice: z =>
          z
            .string()
            .describe(
              'Empty, or what the user should know: e.g. that an existing session keeps the name it was created with',
            ),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const projectUuid =
        input.projectUuid?.toLowerCase() ??
        (await ctx.checkpoint({
          key: 'dev-session.project-uuid',
          fn: () => randomUUID(),
        }));
      const request = {
        projectId: input.projectId,
        owner: input.owner ?? ctx.user?.ref,
        component: input.component || undefined,
        size: input.size,
        values: input.values,
      };
      const credentials = await ctx.getInitiatorCredentials();
      let notice = '';

      const outputSession = (s: DevSession) => {
        ctx.output('projectUuid', s.projectUuid);
        ctx.output('namespace', s.namespace);
        ctx.output('releaseName', s.releaseName);
        ctx.output('previewUrl', s.endpoints.preview.url);
        ctx.output('chatUrl', s.endpoints.chat.url);
        ctx.output('vscodeUrl', s.endpoints.vscode.url);
        ctx.output('entityRef', s.entityRef);
        ctx.output('state', s.state);
        ctx.output('projectName', s.projectId);
        ctx.output('notice', notice);
      };

      if (ctx.isDryRun) {
        const r = await sessions.dryRun(projectUuid, request, { credentials });
        ctx.logger.info(
          `Dry run: would install release ${r.session.releaseName} in namespace ${r.session.namespace}`,
        );
        for (const o of r.objects) ctx.logger.info(`  would create ${o}`);
        outputSession(r.session);
        return;
      }

      const { session, created } = await ctx.checkpoint({
        key: `dev-session.create.${projectUuid}`,
        fn: async () => {
          const r = await sessions.getOrCreate(projectUuid, request, {
            credentials,
            timeoutSeconds: input.timeoutSeconds,
          });
          return { session: r.session as any, created: r.created };
        },
      });
      ctx.logger.info(
        created
          ? `Creating the dev session of project ${projectUuid} in namespace ${session.namespace}`
          : `Project ${projectUuid} already has a dev session (state ${session.state})`,
      );
      if (
        !created &&
        input.projectId !== undefined &&
        input.projectId !== session.projectId
      ) {
        // get-or-create returns the existing session as it is; say so rather than keep quiet
        notice = `Project ${projectUuid} already had a dev session named "${session.projectId}"; it keeps that name, and "${input.projectId}" was not applied.`;
        ctx.logger.warn(notice);
      }

      let current: DevSession = session;
      if (input.wait !== false) {
        const deadline =
          Date.now() + ((input.timeoutSeconds ?? 300) + 120) * 1000;
        let lastState = '';
        const seen = new Set<string>();
        // progress for the task log: pod phase and each container's state, logged once each
        const logProgress = async () => {
          try {
            const st = await sessions.status(projectUuid, { credentials });
            const lines = [
              st.pod
                ? `pod ${st.pod.name}: ${st.pod.phase}`
                : 'pod: not created yet',
              ...st.containers.map(
                c =>
                  `container ${c.name}: ${
                    c.ready ? 'ready' : c.reason ?? c.state
                  }${c.restartCount ? ` (${c.restartCount} restarts)` : ''}`,
              ),
            ];
            for (const line of lines) {
              if (!seen.has(line)) {
                seen.add(line);
                ctx.logger.info(line);
              }
            }
          } catch {
            // the live status is extra information; the session state decides
          }
        };
        while (
          current.state === 'provisioning' ||
          current.state === 'deleting'
        ) {
          if (current.state !== lastState) {
            ctx.logger.info(`Session state: ${current.state}`);
            lastState = current.state;
          }
          await logProgress();
          if (Date.now() > deadline)
            throw new Error(
              `Timed out waiting for the dev session of project ${projectUuid}`,
            );
          if (ctx.signal?.aborted) throw new Error('Task cancelled');
          await pause(options);
          current = await sessions.get(projectUuid, { credentials });
        }
        if (current.state === 'failed') {
          throw new Error(
            `The dev session of project ${projectUuid} failed: ${
              current.lastError ?? 'unknown error'
            }`,
          );
        }
        ctx.logger.info(`Session state: ${current.state}`);
      }
      for (const role of ['preview', 'chat', 'vscode'] as const) {
        ctx.logger.info(`${role}: ${current.endpoints[role].url}`);
      }
      outputSession(current);
    },
  });
}
