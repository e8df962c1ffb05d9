/*
 * The real catalog with this module and the real dev-sessions backend on the local cluster: a
 * created session's entity is in the catalog within seconds, a deleted one leaves it.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  clusterEnv,
  devSessionsTestConfig,
  waitFor,
} from '@dev-sessions/integration-tests';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
// the real dev-sessions backend next to the module: what the module talks to in an app
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import devSessionsPlugin from '@dev-sessions/backstage-plugin-dev-sessions-backend';
import { catalogModuleDevSessions } from '../module';
import { startCatalog } from '../__testUtils__/scale';

jest.setTimeout(180_000);

describe('catalog with dev sessions', () => {
  it('shows a created session as an entity within 5 s and removes it after delete', async () => {
    clusterEnv();
    // the real catalog, scheduler and events service (the test defaults are mocks that never fire)
    const { server } = await startCatalog(
      [catalogModuleDevSessions, devSessionsPlugin],
      { devSessions: devSessionsTestConfig() },
    );
    const uuid = randomUUID();
    const created = await request(server)
      .put(`/api/dev-sessions/projects/${uuid}/session?wait=true`)
      // a service (automation) may name any owner; a user may only name themselves or their groups
      .set('Authorization', mockCredentials.service.header())
      .send({ projectId: 'Catalog Demo', owner: 'group:default/payments' });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe('ready');
    const ref: string = created.body.entityRef;
    expect(ref).toBe(`resource:default/catalog-demo-${uuid}`);
    const [, name] = ref.split('/');

    const start = Date.now();
    const entity = await waitFor(
      'the entity in the catalog',
      async () => {
        const r = await request(server).get(
          `/api/catalog/entities/by-name/resource/default/${name}`,
        );
        return r.status === 200 &&
          r.body.metadata.annotations['dev-sessions.io/state'] === 'ready'
          ? r.body
          : undefined;
      },
      5_000,
      100,
    );
    process.stdout.write(
      `entity visible ${Date.now() - start} ms after the create returned\n`,
    );
    expect(entity.spec).toMatchObject({
      type: 'dev-session',
      owner: 'group:default/payments',
    });
    expect(entity.metadata.annotations['dev-sessions.io/project-uuid']).toBe(
      uuid,
    );
    expect(entity.metadata.links.map((l: any) => l.title)).toEqual([
      'Preview',
      'Chat',
      'VS Code',
    ]);
    expect(entity.relations).toEqual(
      expect.arrayContaining([
        { type: 'ownedBy', targetRef: 'group:default/payments' },
      ]),
    );

    expect(
      (
        await request(server).delete(
          `/api/dev-sessions/projects/${uuid}/session?wait=true`,
        )
      ).status,
    ).toBe(204);
    await waitFor(
      'the entity to leave the catalog',
      async () => {
        const r = await request(server).get(
          `/api/catalog/entities/by-name/resource/default/${name}`,
        );
        return r.status === 404;
      },
      5_000,
      100,
    );
  });
});
