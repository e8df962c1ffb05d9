import {
  DEV_SESSION_STATES,
  devSessionCreatePermission,
  DevSessionState,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import {
  calling,
  DevSessionActionsOptions,
  sessionOutput,
  sessionSchema,
} from './shared';

/** `list-dev-sessions`: the caller's sessions (or all they may read), filtered and paged. */
export function registerListSessionsAction({
  actionsRegistry,
  sessions,
}: DevSessionActionsOptions) {
  actionsRegistry.register({
    name: 'list-dev-sessions',
    title: 'List dev sessions',
    description:
      "Lists dev sessions (one always-on development environment per project, with app preview, AI chat and browser VS Code): by default the caller's own (owned by them or one of their groups), newest first. Filter by state, search by project name, UUID or owner, and page with offset/limit. Only sessions the caller may read are listed.",
    visibilityPermission: devSessionCreatePermission,
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z.object({
          mine: z
            .boolean()
            .default(true)
            .describe(
              "Only the caller's own sessions (default true); false lists every session the caller may read. A service caller (a static token) owns none, so it always gets every session it may read",
            ),
          states: z
            .array(z.enum(DEV_SESSION_STATES as [string, ...string[]]))
            .optional()
            .describe('Only sessions in one of these states'),
          search: z
            .string()
            .max(200)
            .optional()
            .describe('Text found in the project name, project UUID or owner'),
          offset: z.number().int().min(0).default(0),
          limit: z
            .number()
            .int()
            .min(1)
            .max(100)
            .default(25)
            .describe('At most this many sessions (1-100, default 25)'),
        }),
      output: z =>
        z.object({
          sessions: z.array(sessionSchema(z)),
          totalCount: z.number().describe('How many sessions match in all'),
        }),
    },
    examples: [
      {
        title: 'My failed sessions',
        input: { mine: true, states: ['failed'], offset: 0, limit: 25 },
      },
    ],
    action: async ({ input, credentials }) => {
      const page = await calling(() =>
        sessions.listPage(
          {
            mine:
              input.mine &&
              (credentials.principal as { type?: string }).type === 'user'
                ? true
                : undefined,
            states: input.states as DevSessionState[] | undefined,
            search: input.search,
            offset: input.offset,
            limit: input.limit,
          },
          { credentials },
        ),
      );
      return {
        output: {
          sessions: page.items.map(sessionOutput),
          totalCount: page.totalCount,
        },
      };
    },
  });
}
