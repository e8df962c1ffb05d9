/*
 * Reconcile, status and list on the local cluster with real Helm: the periodic reconcile (every 2 s
 * here) reads releases from Helm's storage without a helm process and marks a ready session
 * whose release was uninstalled behind the backend's back `failed`, while a session whose
 * release is deployed stays ready; the status route answers from the watch cache once it is
 * synced (Server-Timing says so) with what the API server says; the list pages, searches and
 * filters by state in SQL.
 */
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  helm,
  kubectlJson,
  randomSuffix,
  startDevSessionsTestBackend,
  waitFor,
} from '@dev-sessions/integration-tests';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { devSessionsPlugin } from '../plugin';

jest.setTimeout(300_000);

let server: any;
beforeAll(async () => {
  ({ server } = await startDevSessionsTestBackend({
    // the real scheduler (the test backend's mock one runs tasks only when triggered)
    features: [devSessionsPlugin, schedulerServiceFactory],
    devSessions: { reconcile: { intervalSeconds: 2 } },
  }));
});

const name = `reconcile ${randomSuffix()}`;
const kept = randomUUID();
const lost = randomUUID();
const session = (uuid: string) => `/api/dev-sessions/projects/${uuid}/session`;
const api = () => request(server);

afterAll(async () => {
  await Promise.all(
    [kept, lost].map(uuid => api().delete(`${session(uuid)}?wait=true`)),
  );
});

describe('reconcile and the status cache', () => {
  it('creates two sessions', async () => {
    const created = await Promise.all(
      [kept, lost].map(uuid =>
        api()
          .put(`${session(uuid)}?wait=true`)
          .send({ projectId: name, size: 'small' }),
      ),
    );
    expect(created.map(r => r.body.state)).toEqual(['ready', 'ready']);
  });

  it('answers status from the watch cache, as the API server has it', async () => {
    await waitFor(
      'the status cache to sync',
      async () =>
        (await api().get('/api/dev-sessions/health')).body.statusSource ===
        'cache',
      60_000,
    );
    const status = await api().get(`${session(kept)}/status`);
    expect(status.status).toBe(200);
    expect(status.headers['server-timing']).toMatch(
      /^cluster;dur=[\d.]+;desc="cache"$/,
    );
    const pods = (
      await kubectlJson([
        '-n',
        kept,
        'get',
        'pods',
        '-l',
        'app.kubernetes.io/component=session',
      ])
    ).items.filter((p: any) => !p.metadata.deletionTimestamp);
    expect(pods).toHaveLength(1);
    expect(status.body.pod).toMatchObject({
      name: pods[0].metadata.name,
      phase: pods[0].status.phase,
    });
    expect(
      status.body.containers.map((c: any) => [c.name, c.ready, c.restartCount]),
    ).toEqual(
      pods[0].status.containerStatuses
        .map((c: any) => [c.name, c.ready, c.restartCount])
        .sort(
          (a: any, b: any) =>
            ['preview', 'chat', 'vscode'].indexOf(a[0]) -
            ['preview', 'chat', 'vscode'].indexOf(b[0]),
        ),
    );
    expect(status.body.events.length).toBeGreaterThan(0);
  });

  it('marks a session whose release was uninstalled failed, and leaves the other ready', async () => {
    await helm(['uninstall', 'dev-session', '-n', lost, '--wait']);
    const failed = await waitFor(
      'reconcile to notice the lost release',
      async () => {
        const s = await api().get(session(lost));
        return s.body.state === 'failed' && s.body;
      },
      60_000,
      500,
    );
    expect(failed.lastError).toBe(
      'Helm release not found in the cluster (found by reconcile)',
    );
    // several passes later the deployed one is still ready
    expect((await api().get(session(kept))).body.state).toBe('ready');
  });

  it('lists them a page at a time, searched and filtered by state', async () => {
    const page = async (query: string) => {
      const r = await api().get(
        `/api/dev-sessions/sessions?q=${encodeURIComponent(name)}&${query}`,
      );
      expect(r.status).toBe(200);
      return {
        total: r.body.totalCount,
        uuids: r.body.items.map((x: any) => x.projectUuid),
      };
    };
    const first = await page('limit=1');
    const second = await page('limit=1&offset=1');
    expect([first.total, second.total]).toEqual([2, 2]);
    expect([...first.uuids, ...second.uuids].sort()).toEqual(
      [kept, lost].sort(),
    );
    expect(await page('state=failed')).toEqual({ total: 1, uuids: [lost] });
    expect(await page('state=ready,stopped&mine=true')).toEqual({
      total: 1,
      uuids: [kept],
    });
  });
});
