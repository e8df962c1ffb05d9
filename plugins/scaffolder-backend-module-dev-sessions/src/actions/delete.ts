import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';
import { ActionDeps } from './client';

/**
 * `dev-session:delete`: uninstalls a project's dev session and removes its namespace.
 * Idempotent: deleting a session that does not exist succeeds.
 * @public
 */
export function createDevSessionDeleteAction(deps: ActionDeps) {
  return createTemplateAction({
    id: 'dev-session:delete',
    description:
      "Deletes a project's dev session (helm uninstall and namespace removal)",
    examples: [
      {
        description: 'Delete the dev session of a project',
        example: yaml.stringify({
          steps: [
            {
              id: 'delete-dev-session',
              action: 'dev-session:delete',
              name: 'Delete dev session',
              input: { projectUuid: '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10' },
            },
          ],
        }),
      },
    ],
    supportsDryRun: true,
    schema: {
      input: {
        projectUuid: z =>
          z
            .string()
            .uuid('projectUuid must be a UUID')
            .describe('Project UUID'),
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
      const token = await deps.token(await ctx.getInitiatorCredentials());
      await ctx.checkpoint({
        key: `dev-session.delete.${projectUuid}`,
        fn: async () => {
          await deps.client.delete(projectUuid, { token });
        },
      });
      ctx.logger.info(
        `Deleted the dev session of project ${projectUuid} (or there was none)`,
      );
    },
  });
}
