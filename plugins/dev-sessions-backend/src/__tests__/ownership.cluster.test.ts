/*
 * Sessions in a shared portal: the real permission backend with the policy this repository's app
 * ships (devSessionPolicyDecision: owner-scoped read/update/delete, admins may do everything),
 * real Helm and the local cluster. Alice (in group payments) owns a session; Bob may not read,
 * retry or delete it, nor create sessions owned by Alice's group; the admin may.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  clusterEnv,
  helmReleases,
  startDevSessionsTestBackend,
} from '@dev-sessions/integration-tests';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { devSessionsPlugin } from '../plugin';
import { ownerScopedFeatures } from '../__testUtils__/ownerScoped';

jest.setTimeout(300_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const ROOT = 'user:default/root';
const groups: Record<string, string[]> = {
  [ALICE]: ['group:default/payments'],
  [BOB]: ['group:default/search'],
  [ROOT]: ['group:default/platform'],
};

// helm that fails `upgrade` while the marker file exists (to make a failed session), else real helm
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-failing-'));
const failMarker = path.join(dir, 'fail-upgrades');

let server: any;
beforeAll(async () => {
  const env = clusterEnv();
  const wrapper = path.join(dir, 'helm');
  fs.writeFileSync(
    wrapper,
    `#!/bin/sh\nif [ "$1" = upgrade ] && [ -f "${failMarker}" ]; then echo "Error: simulated failure" >&2; exit 1; fi\nexec "${env.helm}" "$@"\n`,
    { mode: 0o755 },
  );
  ({ server } = await startDevSessionsTestBackend({
    features: [
      devSessionsPlugin,
      ...ownerScopedFeatures({ groups, admins: ['group:default/platform'] }),
    ],
    config: { permission: { enabled: true } },
    devSessions: { helm: { binary: wrapper } },
  }));
});

const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});
const session = (uuid: string) => `/api/dev-sessions/projects/${uuid}/session`;

describe('owner-scoped dev sessions', () => {
  const uuid = randomUUID();

  it("lets a user create a session owned by their group, not by someone else's", async () => {
    fs.writeFileSync(failMarker, '');
    const res = await request(server)
      .put(`${session(uuid)}?wait=true`)
      .set(as(ALICE))
      .send({ projectId: 'payments', owner: 'group:payments' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      owner: 'group:default/payments',
      state: 'failed',
    });

    const spoof = await request(server)
      .put(session(randomUUID()))
      .set(as(BOB))
      .send({ projectId: 'x', owner: 'group:default/payments' });
    expect(spoof.status).toBe(403);
    expect(spoof.body.error.message).toMatch(
      /Invalid owner: group:default\/payments is neither you nor one of your groups/,
    );
    const spoofUser = await request(server)
      .put(session(randomUUID()))
      .set(as(BOB))
      .send({ owner: 'user:alice' });
    expect(spoofUser.status).toBe(403);
  });

  it('lists for each user only the sessions they may read; the admin sees all', async () => {
    const listed = async (user: string) => {
      const res = await request(server)
        .get('/api/dev-sessions/sessions')
        .set(as(user));
      expect(res.status).toBe(200);
      return res.body.items.map((s: { projectUuid: string }) => s.projectUuid);
    };
    expect(await listed(ALICE)).toContain(uuid);
    expect(await listed(BOB)).not.toContain(uuid);
    expect(await listed(ROOT)).toContain(uuid);
  });

  it('answers 404 (not 403) to a user asking for a project that has no session, for the card to offer one', async () => {
    const none = randomUUID();
    for (const p of [session(none), `${session(none)}/status`]) {
      const r = await request(server).get(p).set(as(BOB));
      expect({ status: r.status, message: r.body.error?.message }).toEqual({
        status: 404,
        message: `Project ${none} has no dev session`,
      });
    }
  });

  it('refuses read, retry and delete to a non-owner with 403', async () => {
    fs.rmSync(failMarker, { force: true });
    expect((await request(server).get(session(uuid)).set(as(BOB))).status).toBe(
      403,
    );
    expect(
      (
        await request(server)
          .get(`${session(uuid)}/status`)
          .set(as(BOB))
      ).status,
    ).toBe(403);
    const retry = await request(server)
      .put(`${session(uuid)}?wait=true`)
      .set(as(BOB))
      .send({ projectId: 'payments' });
    expect(retry.status).toBe(403);
    expect(
      (await request(server).delete(session(uuid)).set(as(BOB))).status,
    ).toBe(403);
    const own = await request(server).get(session(uuid)).set(as(ALICE));
    expect({ status: own.status, body: own.body }).toMatchObject({
      status: 200,
      body: { state: 'failed' },
    });
    expect(await helmReleases(uuid)).toEqual([]);
  });

  it('lets the owner retry (with the stored values) and the admin read, then the owner delete', async () => {
    const retry = await request(server)
      .put(`${session(uuid)}?wait=true`)
      .set(as(ALICE))
      .send({ projectId: 'payments' });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({
      state: 'ready',
      owner: 'group:default/payments',
    });
    expect(
      (await request(server).get(session(uuid)).set(as(ROOT))).status,
    ).toBe(200);
    expect(
      (
        await request(server)
          .delete(`${session(uuid)}?wait=true`)
          .set(as(ALICE))
      ).status,
    ).toBe(204);
  });
});
