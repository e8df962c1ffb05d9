/*
 * The plugin's migrations on the real databases: a row stored before endpoints became JSON
 * (the six per-role URL/path columns) keeps its links, and going down gives them back.
 */
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { sessionStoreOn } from '../__testUtils__/sessions';
import { JobStore } from './JobStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

// exactly what SessionStore.create (openDatabase) migrates with
const migrations = {
  directory: resolvePackagePath(
    '@dev-sessions/backstage-plugin-dev-sessions-backend',
    'migrations',
  ),
  tableName: 'dev_sessions_knex_migrations',
};

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

/** Migrates a fresh database up to and including the component_ref migration. */
async function atComponentRef(knex: Knex) {
  await knex.migrate.up({
    ...migrations,
    name: '20261124000000_dev_sessions.js',
  });
  await knex.migrate.up({
    ...migrations,
    name: '20261124010000_component_ref.js',
  });
  const [, pending] = await knex.migrate.list(migrations);
  expect(pending.map((m: { file: string }) => m.file)).toEqual([
    '20261126000000_endpoints_json_and_jobs.js',
    '20261126100000_gateway_tokens.js',
    '20261127000000_lifecycle.js',
  ]);
}

function oldRow(uuid: string, state: string, component: string | null) {
  const url = (role: string) =>
    `http://dev-session-${role}.${uuid}.svc.cluster.local:3000/`;
  return {
    project_uuid: uuid,
    project_id: 'Über Projekt',
    owner: 'user:default/jane',
    component_ref: component,
    namespace: uuid,
    release_name: 'dev-session',
    chart_version: '0.1.0',
    size: 'small',
    state,
    last_error: state === 'failed' ? 'helm: boom' : null,
    values_json: JSON.stringify({ containers: { preview: { env: [] } } }),
    preview_url: url('preview'),
    preview_path: '/preview',
    chat_url: url('chat'),
    chat_path: '/chat',
    vscode_url: `https://vscode.${uuid}.dev.example.com/`,
    vscode_path: '/vscode',
    created_at: '2026-11-24T10:00:00.000Z',
    updated_at: '2026-11-24T11:00:00.000Z',
  };
}

describe.each(databases.eachSupportedId())('migrations on %p', databaseId => {
  it('keep the links of rows stored in the old six-column shape', async () => {
    const knex = await databases.init(databaseId);
    await atComponentRef(knex);
    await knex('dev_sessions').insert([
      oldRow(A, 'ready', 'component:default/checkout'),
      oldRow(B, 'failed', null),
    ]);

    // what the plugin does at startup: migrate to the latest, then read through the store
    const store = await sessionStoreOn(knex);
    const a = await store.get(A);
    expect(a).toEqual({
      projectUuid: A,
      projectId: 'Über Projekt',
      owner: 'user:default/jane',
      component: 'component:default/checkout',
      namespace: A,
      releaseName: 'dev-session',
      chartVersion: '0.1.0',
      size: 'small',
      state: 'ready',
      lastError: undefined,
      values: { containers: { preview: { env: [] } } },
      // in-cluster links become targets; an old ingress link names no Service, so no target
      targets: {
        preview: {
          service: 'dev-session-preview',
          port: 3000,
          path: '/preview',
        },
        chat: { service: 'dev-session-chat', port: 3000, path: '/chat' },
      },
      createdAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-24T11:00:00.000Z',
      // an existing session was last used when it last changed
      lastActivityAt: '2026-11-24T11:00:00.000Z',
      expiryNotifiedAt: undefined,
    });
    expect(await store.get(B)).toMatchObject({
      state: 'failed',
      lastError: 'helm: boom',
      component: undefined,
      targets: { chat: { path: '/chat' } },
    });
    // the old columns are gone, the jobs table is there and works
    const columns = Object.keys(await knex('dev_sessions').columnInfo());
    expect(columns).toContain('endpoints_json');
    expect(columns).not.toContain('preview_url');
    expect(columns).not.toContain('vscode_path');
    const jobs = new JobStore(knex);
    await knex.transaction(trx => jobs.request(trx, A, 'provision', 60));
    expect(await jobs.get(A)).toMatchObject({
      kind: 'provision',
      generation: 1,
    });
    // and the store keeps working on the migrated rows
    expect(await store.transition(A, 'deleteRequested')).toBe(true);
  });

  it('give the links back to the six columns when migrated down', async () => {
    const knex = await databases.init(databaseId);
    await atComponentRef(knex);
    await knex('dev_sessions').insert(oldRow(A, 'ready', null));
    await knex.migrate.latest(migrations);
    await knex.migrate.down(migrations);
    expect(await knex.schema.hasTable('dev_session_orphans')).toBe(false);
    expect(Object.keys(await knex('dev_sessions').columnInfo())).not.toContain(
      'last_activity_at',
    );
    await knex.migrate.down(migrations);
    expect(await knex.schema.hasTable('dev_session_gateway_tokens')).toBe(
      false,
    );
    expect(await knex.schema.hasTable('dev_session_jobs')).toBe(true);
    await knex.migrate.down(migrations);
    expect(await knex.schema.hasTable('dev_session_jobs')).toBe(false);
    const row = await knex('dev_sessions').where({ project_uuid: A }).first();
    const old = oldRow(A, 'ready', null);
    expect(row).toMatchObject({
      preview_url: old.preview_url,
      preview_path: '/preview',
      chat_url: old.chat_url,
      vscode_url: old.vscode_url,
      vscode_path: '/vscode',
    });
    expect(row).not.toHaveProperty('endpoints_json');
  });
});
