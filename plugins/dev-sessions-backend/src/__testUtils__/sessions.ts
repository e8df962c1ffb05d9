import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { DevSessionChange } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { Knex } from 'knex';
import { JobStore } from '../database/JobStore';
import { NewSession, SessionStore } from '../database/SessionStore';
import { SessionLinks } from '../gateway/SessionLinks';
import { SessionEvents } from '../service/SessionEvents';

/** The session store on a test database, migrated as the plugin migrates it at startup. */
export function sessionStoreOn(knex: Knex): Promise<SessionStore> {
  return SessionStore.create({ getClient: async () => knex } as any);
}

/** A fresh SQLite database with the session store and the job store on it. */
export async function sqliteStores(databases: TestDatabases) {
  const knex = await databases.init('SQLITE_3');
  const store = await sessionStoreOn(knex);
  return { knex, store, jobs: new JobStore(store.db) };
}

/** What a session is stored with: Jane's small session of project `p`, in its own namespace. */
export function newSession(
  projectUuid: string,
  extra: Partial<NewSession> = {},
): NewSession {
  const ep = (r: string, port: number) => ({
    service: `dev-session-${r}`,
    port,
    path: `/${r}`,
  });
  return {
    projectUuid,
    projectId: 'p',
    owner: 'user:default/jane',
    namespace: projectUuid,
    releaseName: 'dev-session',
    chartVersion: '0.1.0',
    size: 'small',
    values: {},
    targets: {
      preview: ep('preview', 3000),
      chat: ep('chat', 3001),
      vscode: ep('vscode', 8080),
    },
    ...extra,
  };
}

/**
 * Stores a session and brings it to a state through the lifecycle's transitions (a failed one
 * failed with `lastError`, when given).
 */
export async function storeSession(
  store: SessionStore,
  session: NewSession,
  state:
    | 'provisioning'
    | 'ready'
    | 'failed'
    | 'deleting'
    | 'stopped' = 'provisioning',
  lastError?: string,
): Promise<void> {
  const uuid = session.projectUuid;
  await store.insertIfAbsent(session);
  if (state === 'ready' || state === 'deleting' || state === 'stopped')
    await store.transition(uuid, 'provisioned');
  if (state === 'stopped') {
    await store.transition(uuid, 'stopRequested');
    await store.transition(uuid, 'stopped');
  }
  if (state === 'failed')
    await store.transition(uuid, 'provisionFailed', { lastError });
  if (state === 'deleting') await store.transition(uuid, 'deleteRequested');
}

/** The links of the test backends' plugin base URL. */
export const testLinks = new SessionLinks(
  'http://localhost:7007/api/dev-sessions',
);

/**
 * The session events of a cluster with a mock logger, and the changes they announced, each as
 * `describe` puts it.
 */
export function recordedEvents<T>(
  clusterName: string,
  describe: (c: DevSessionChange) => T,
) {
  const logger = mockServices.logger.mock();
  const events = new SessionEvents(logger, clusterName, testLinks);
  const changes: T[] = [];
  events.onChange(c => changes.push(describe(c)));
  return { logger, events, changes };
}
