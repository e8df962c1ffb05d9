import { registerCreateSessionAction } from './createSession';
import { registerDeleteSessionAction } from './deleteSession';
import { registerGetSessionAction } from './getSession';
import { registerListSessionsAction } from './listSessions';
import { registerSessionLogsAction } from './sessionLogs';
import { registerSetRunningActions } from './setRunning';
import { DevSessionActionsOptions } from './shared';

/**
 * Registers the dev-session actions with the actions registry (MCP tools through
 * `@backstage/plugin-mcp-actions-backend` when `dev-sessions` is in
 * `backend.actions.pluginSources`).
 */
export function registerDevSessionActions(options: DevSessionActionsOptions) {
  registerListSessionsAction(options);
  registerGetSessionAction(options);
  registerCreateSessionAction(options);
  registerDeleteSessionAction(options);
  registerSetRunningActions(options);
  registerSessionLogsAction(options);
}
