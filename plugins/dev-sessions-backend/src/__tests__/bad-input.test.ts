/*
 * Bad input gets a 400 naming the field and the rule, reaches no Helm call and stores nothing.
 * helm is configured as a recorder script: it writes a marker file if it is ever called.
 */
import { startDevSessionsTestBackend } from '@dev-sessions/integration-tests';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { devSessionsPlugin } from '../plugin';

jest.setTimeout(60_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-recorder-'));
const marker = path.join(dir, 'called');
const recorder = path.join(dir, 'helm');
fs.writeFileSync(recorder, `#!/bin/sh\necho "$@" >> "${marker}"\nexit 1\n`, {
  mode: 0o755,
});

const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const big = 'x'.repeat(10 * 1024);

let server: any;
beforeAll(async () => {
  ({ server } = await startDevSessionsTestBackend({
    features: [devSessionsPlugin],
    devSessions: {
      helm: { binary: recorder },
      // an unreachable cluster: validation must answer before the cluster is ever asked
      cluster: { kubeconfig: path.join(dir, 'kubeconfig') },
    },
  }));
});

fs.writeFileSync(
  path.join(dir, 'kubeconfig'),
  `apiVersion: v1
kind: Config
clusters: [{name: nowhere, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: nowhere, user: u}}]
current-context: c
`,
);

type Case = [name: string, uuid: string, body: unknown, field: RegExp];
const cases: Case[] = [
  [
    'a non-UUID project id in the path',
    'not-a-uuid',
    {},
    /Invalid projectUuid: must be a UUID/,
  ],
  [
    'a UUID with a trailing shell command',
    `${UUID};rm -rf /`,
    {},
    /Invalid projectUuid/,
  ],
  ['a UUID with $(...)', '$(touch x)', {}, /Invalid projectUuid/],
  [
    'a too short UUID',
    '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a1',
    {},
    /Invalid projectUuid/,
  ],
  [
    'a UUID with a non-hex character',
    '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a1z',
    {},
    /Invalid projectUuid/,
  ],
  [
    'projectId with ;',
    UUID,
    { projectId: 'a; rm -rf /' },
    /Invalid projectId: may contain only/,
  ],
  ['projectId with $()', UUID, { projectId: '$(reboot)' }, /Invalid projectId/],
  [
    'projectId with a backtick',
    UUID,
    { projectId: 'x`id`' },
    /Invalid projectId/,
  ],
  [
    'projectId with , (breaks --set)',
    UUID,
    { projectId: 'a,b' },
    /Invalid projectId/,
  ],
  [
    'projectId with = (breaks --set)',
    UUID,
    { projectId: 'a=b' },
    /Invalid projectId/,
  ],
  [
    'projectId with a newline',
    UUID,
    { projectId: 'a\nb' },
    /Invalid projectId/,
  ],
  [
    'a 10 kB projectId',
    UUID,
    { projectId: big },
    /Invalid projectId: must be 1 to 100 characters/,
  ],
  [
    'an empty projectId',
    UUID,
    { projectId: '' },
    /Invalid projectId: must be 1 to 100/,
  ],
  [
    'projectId as a number',
    UUID,
    { projectId: 42 },
    /Invalid projectId: must be a string/,
  ],
  [
    'an owner that is not an entity ref',
    UUID,
    { owner: 'jane' },
    /Invalid owner: must be a user or group entity ref/,
  ],
  [
    'an owner with , and =',
    UUID,
    { owner: 'user:default/a,b=c' },
    /Invalid owner/,
  ],
  ['a 10 kB owner', UUID, { owner: `user:default/${big}` }, /Invalid owner/],
  [
    'a component that is not a component ref',
    UUID,
    { component: 'group:default/x' },
    /Invalid component: must be a component entity ref/,
  ],
  [
    'an unknown size',
    UUID,
    { size: 'huge' },
    /Invalid size: must be one of small, medium, large/,
  ],
  ['size as a number', UUID, { size: 3 }, /Invalid size/],
  [
    'values as a string',
    UUID,
    { values: 'replicas=2' },
    /Invalid values: must be an object/,
  ],
  [
    'values as an array',
    UUID,
    { values: [1] },
    /Invalid values: must be an object/,
  ],
  [
    'values overriding project',
    UUID,
    { values: { project: { uuid: 'x' } } },
    /Invalid values\.project: is set by dev-sessions/,
  ],
  [
    'values with an unknown key',
    UUID,
    { values: { replicaCount: 3 } },
    /Invalid values\.replicaCount: is set by the platform/,
  ],
  [
    'values with a port (platform-owned)',
    UUID,
    { values: { service: { chat: { port: 70000 } } } },
    /Invalid values\.service\.chat\.port: is set by the platform/,
  ],
  [
    'values with a settable field of a wrong type',
    UUID,
    { values: { containers: { preview: { args: 'npm start' } } } },
    /Invalid values\.containers\.preview\.args: must be a list of strings/,
  ],
  [
    'values with a bad quantity',
    UUID,
    {
      values: {
        containers: { chat: { resources: { limits: { cpu: 'lots' } } } },
      },
    },
    /Invalid values\.containers\.chat\.resources\.limits\.cpu: must be a Kubernetes quantity/,
  ],
  [
    'values with an image tag injection',
    UUID,
    {
      values: {
        containers: { chat: { image: { repository: 'node', tag: '1;id' } } },
      },
    },
    /Invalid values\.containers\.chat\.image\.tag/,
  ],
  [
    'values larger than 64 kB',
    UUID,
    { values: { podAnnotations: { a: 'x'.repeat(70 * 1024) } } },
    /Invalid values: must be at most 64 kB/,
  ],
  [
    'an unknown body field',
    UUID,
    { replicas: 3 },
    /Invalid replicas: is not a known field/,
  ],
  [
    'a body that is not an object',
    UUID,
    ['x'],
    /Invalid body: must be a JSON object/,
  ],
];

describe('bad input', () => {
  it.each(cases)('rejects %s with 400', async (_name, uuid, body, message) => {
    const res = await request(server)
      .put(`/api/dev-sessions/projects/${encodeURIComponent(uuid)}/session`)
      .set('content-type', 'application/json')
      .send(JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toMatch(message);
  });

  it('rejects bad query parameters', async () => {
    const a = await request(server)
      .put(`/api/dev-sessions/projects/${UUID}/session?wait=maybe`)
      .send({});
    expect(a.status).toBe(400);
    expect(a.body.error.message).toMatch(/Invalid wait/);
    const b = await request(server)
      .put(`/api/dev-sessions/projects/${UUID}/session?timeoutSeconds=5`)
      .send({});
    expect(b.status).toBe(400);
    expect(b.body.error.message).toMatch(
      /Invalid timeoutSeconds: must be an integer from 30 to 3600/,
    );
    const c = await request(server).get(
      '/api/dev-sessions/sessions?owner=nobody',
    );
    expect(c.status).toBe(400);
  });

  it('called helm not once and stored nothing', async () => {
    expect(fs.existsSync(marker)).toBe(false);
    const list = await request(server).get('/api/dev-sessions/sessions');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
  });

  it('answers 503 naming the cluster when it is unreachable, and keeps serving', async () => {
    const res = await request(server)
      .put(`/api/dev-sessions/projects/${UUID}/session`)
      .send({ projectId: 'ok' });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(
      /Kubernetes cluster "nowhere" \(devSessions\.cluster\.kubeconfig\) is unreachable/,
    );
    expect((await request(server).get('/api/dev-sessions/health')).status).toBe(
      200,
    );
    expect(fs.existsSync(marker)).toBe(false);
    expect(
      (await request(server).get(`/api/dev-sessions/projects/${UUID}/session`))
        .status,
    ).toBe(404);
  });
});
