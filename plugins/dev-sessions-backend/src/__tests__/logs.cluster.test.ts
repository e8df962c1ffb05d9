/*
 * Container logs for real: the plugin inside startTestBackend with real Helm on the local
 * cluster, whose kwok serves the simulated logs of scripts/cluster/container-logs (the current
 * log, and the previous one of a container that restarted) through the kube-apiserver, as a
 * kubelet would.
 */
import {
  clusterEnv,
  kubectlJson,
  namespaceExists,
  startDevSessionsTestBackend,
  waitFor,
} from '@dev-sessions/integration-tests';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DEFAULT_USER_SETTABLE } from '../chart/ValuesPolicy';
import { devSessionsPlugin } from '../plugin';

jest.setTimeout(300_000);

let server: any;

beforeAll(async () => {
  clusterEnv();
  // the cluster must be one that serves logs (./dev cluster up restarts an older one)
  const node = await kubectlJson(['get', 'node', 'kwok-node-0']);
  if (!node.status?.daemonEndpoints?.kubeletEndpoint?.Port)
    throw new Error(
      'The local cluster does not serve container logs (its node has no kubelet port): run ./dev cluster up, which restarts a cluster started with older flags',
    );
  const backend = await startDevSessionsTestBackend({
    features: [devSessionsPlugin],
    devSessions: {
      // the platform of this test lets the failure simulation through (a pod annotation)
      values: { userSettable: [...DEFAULT_USER_SETTABLE, 'podAnnotations.*'] },
    },
  });
  server = backend.server;
});

const api = () => request(server);
const session = (id: string) => `/api/dev-sessions/projects/${id}/session`;
const logs = (id: string, query: string) =>
  api().get(`${session(id)}/logs?${query}`);

const healthy = randomUUID();
const crashing = randomUUID();

describe('container logs on the cluster', () => {
  it("reads a running container's log through the route, the last tailLines lines", async () => {
    const created = await api()
      .put(`${session(healthy)}?wait=true`)
      .send({ projectId: 'logs healthy', size: 'small' });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe('ready');

    const chat = await logs(healthy, 'container=chat');
    expect(chat.status).toBe(200);
    const pods = await kubectlJson(['-n', healthy, 'get', 'pods']);
    expect(chat.body).toMatchObject({
      projectUuid: healthy,
      container: 'chat',
      pod: pods.items[0].metadata.name,
      previous: false,
      tailLines: 500,
      truncated: false,
    });
    // kwok answers with scripts/cluster/container-logs/chat.txt, without the CRI timestamps
    expect(chat.body.text).toContain(
      '"msg":"chat agent listening","port":3001',
    );
    expect(chat.body.text).not.toMatch(/^2026-\d\d-\d\dT/m);

    const tail = await logs(healthy, 'container=vscode&tailLines=2');
    expect(tail.status).toBe(200);
    expect(tail.body.text.trimEnd().split('\n')).toEqual([
      expect.stringContaining('Installing extension: dbaeumer.vscode-eslint'),
      expect.stringContaining(
        'Extension installed successfully: dbaeumer.vscode-eslint',
      ),
    ]);
    const preview = await logs(healthy, 'container=preview');
    expect(preview.body.text).toContain('VITE v6.0.7');
  });

  it('answers 400 for bad input and 409 for a previous log that does not exist', async () => {
    const bad = await logs(healthy, 'container=postgres');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      'Invalid container: must be one of preview, chat, vscode',
    );
    const lines = await logs(healthy, 'container=chat&tailLines=0');
    expect(lines.status).toBe(400);
    expect(lines.body.error.message).toContain('tailLines');

    const previous = await logs(healthy, 'container=chat&previous=true');
    expect(previous.status).toBe(409);
    expect(previous.body.error.message).toBe(
      'The chat container has not restarted, so there is no previous log',
    );
    expect((await logs(randomUUID(), 'container=chat')).status).toBe(404);
  });

  it('reads the previous log of a crash-looping container: the crash', async () => {
    // a crash loop never becomes ready: no wait; Helm gives up (and rolls back) after 30 s
    const created = await api()
      .put(`${session(crashing)}?timeoutSeconds=30`)
      .send({
        projectId: 'logs crashing',
        values: {
          podAnnotations: {
            'sim.dev-sessions.io/fail': 'chat=CrashLoopBackOff',
          },
        },
      });
    expect(created.status).toBe(201);
    await waitFor(
      'the chat container to crash-loop',
      async () => {
        const s = await api().get(`${session(crashing)}/status`);
        const chat = s.body.containers?.find((c: any) => c.name === 'chat');
        return chat?.reason === 'CrashLoopBackOff' && chat.restartCount > 0;
      },
      20_000,
      250,
    );

    const previous = await logs(crashing, 'container=chat&previous=true');
    expect(previous.status).toBe(200);
    expect(previous.body).toMatchObject({ container: 'chat', previous: true });
    expect(previous.body.text).toContain(
      'Error: ANTHROPIC_API_KEY is not set: the chat agent needs a model API key',
    );
    expect(previous.body.text.trimEnd()).toMatch(/Node\.js v22\.12\.0$/);

    const current = await logs(crashing, 'container=chat');
    expect(current.status).toBe(200);
    expect(current.body.text).not.toEqual(previous.body.text);
    expect(current.body.text).not.toContain('ANTHROPIC_API_KEY is not set');

    // the other containers run and never restarted
    const preview = await logs(crashing, 'container=preview&previous=true');
    expect(preview.status).toBe(409);
    expect(preview.body.error.message).toBe(
      'The preview container has not restarted, so there is no previous log',
    );
  });

  it('answers 409 once the session is stopped: no pod, no log', async () => {
    const stopped = await api().post(`${session(healthy)}/stop?wait=true`);
    expect(stopped.status).toBe(200);
    expect(stopped.body.state).toBe('stopped');
    const res = await waitFor(
      'the pod to go',
      async () => {
        const r = await logs(healthy, 'container=chat');
        return r.status === 409 && r;
      },
      30_000,
      250,
    );
    expect(res.body.error.message).toBe(
      `The dev session of project ${healthy} is stopped: it has no pod, so there is no chat log; start it to read its logs`,
    );
  });

  it('deletes both sessions: their namespaces are gone', async () => {
    // the crashing one waits for its install's Helm run (30 s, then a rollback) to end first
    const deleted = await Promise.all(
      [healthy, crashing].map(id =>
        api().delete(`${session(id)}?wait=true&timeoutSeconds=120`),
      ),
    );
    expect(deleted.map(r => r.status)).toEqual([204, 204]);
    for (const id of [healthy, crashing])
      expect(await namespaceExists(id)).toBe(false);
  });
});
