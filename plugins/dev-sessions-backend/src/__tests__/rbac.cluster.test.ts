/*
 * Least-privilege Helm (issue 10, items 5 and 7) on the local cluster: deploy/kubernetes/rbac.yaml
 * applied with the admin kubeconfig, then the backend runs with a token of the ServiceAccount
 * dev-sessions-system/dev-sessions-backend only. The whole create / status / failed / retry /
 * delete flow works through REST, and the same token cannot touch kube-system, default or any
 * namespace dev sessions did not create. Namespaces we do not own are refused (409), never
 * relabelled and never deleted.
 */
import { ConfigReader } from '@backstage/config';
import {
  clusterEnv,
  helmReleases as releases,
  kubectl,
  kubectlJson,
  namespaceExists,
  repoRoot,
  run,
  startDevSessionsTestBackend,
  waitFor,
} from '@dev-sessions/integration-tests';
import * as k8s from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { devSessionsPlugin } from '../plugin';
import { Cluster } from '../cluster/Cluster';
import { inClusterTarget, resolveCluster } from '../cluster/ClusterTarget';

jest.setTimeout(600_000);

const SA = 'system:serviceaccount:dev-sessions-system:dev-sessions-backend';
const OUR_LABELS = (uuid: string) => ({
  'app.kubernetes.io/managed-by': 'backstage-dev-sessions',
  'dev-sessions.io/project-uuid': uuid,
  'pod-security.kubernetes.io/enforce': 'restricted',
});
const sessionRoleBinding = {
  clusterRole: 'dev-sessions-session',
  subject: {
    kind: 'ServiceAccount',
    name: 'dev-sessions-backend',
    namespace: 'dev-sessions-system',
  },
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-sessions-rbac-'));
const saKubeconfig = path.join(dir, 'kubeconfig');
let server: any;
const cleanup: string[] = [];
/** The ServiceAccount's token and the cluster's server and CA, as a pod would have them. */
let podView: { token: string; server: string; caData?: string };

/** kubectl with the ServiceAccount's token (never the admin kubeconfig). */
const asSa = (args: string[], input?: string) =>
  run(clusterEnv().kubectl, args, { env: { KUBECONFIG: saKubeconfig }, input });

/** kubectl with the admin kubeconfig; throws on failure. */
async function admin(args: string[], input?: string) {
  const r = await kubectl(args, input);
  if (r.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  const env = clusterEnv();
  await admin([
    'apply',
    '-f',
    path.join(repoRoot, 'deploy/kubernetes/rbac.yaml'),
  ]);
  const token = (
    await admin([
      'create',
      'token',
      'dev-sessions-backend',
      '-n',
      'dev-sessions-system',
      '--duration=1h',
    ])
  ).trim();

  // a kubeconfig with that token, the cluster's CA and server: nothing of the admin's identity
  const adminKc = new k8s.KubeConfig();
  adminKc.loadFromFile(env.kubeconfig);
  const c = adminKc.getCurrentCluster()!;
  const caData =
    c.caData ??
    (c.caFile ? fs.readFileSync(c.caFile).toString('base64') : undefined);
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'local', server: c.server, caData, skipTLSVerify: false },
    ],
    users: [{ name: 'dev-sessions-backend', token }],
    contexts: [
      { name: 'local', cluster: 'local', user: 'dev-sessions-backend' },
    ],
    currentContext: 'local',
  });
  fs.writeFileSync(saKubeconfig, kc.exportConfig(), { mode: 0o600 });
  podView = { token, server: c.server, caData };

  const who = await asSa([
    'auth',
    'whoami',
    '-o',
    'jsonpath={.status.userInfo.username}',
  ]);
  if (who.stdout !== SA) {
    throw new Error(`the token is not ${SA}: ${who.stdout} ${who.stderr}`);
  }
  // the admission policies are loaded asynchronously: wait until they answer
  await waitFor(
    'the ValidatingAdmissionPolicies to be in force',
    async () => {
      const r = await asSa([
        'create',
        'namespace',
        `probe-${Date.now()}`,
        '--dry-run=server',
      ]);
      return (
        r.code !== 0 &&
        /dev-sessions-backend may create a namespace only/.test(r.stderr)
      );
    },
    60_000,
    500,
  );

  const backend = await startDevSessionsTestBackend({
    features: [devSessionsPlugin],
    devSessions: {
      cluster: { kubeconfig: saKubeconfig, sessionRoleBinding },
      helm: { timeoutSeconds: 120 },
    },
  });
  server = backend.server;
});

afterAll(async () => {
  for (const ns of cleanup)
    await kubectl([
      'delete',
      'namespace',
      ns,
      '--wait=false',
      '--ignore-not-found',
    ]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const api = () => request(server);
const session = (id: string) => `/api/dev-sessions/projects/${id}/session`;

describe('the backend with the dev-sessions-backend ServiceAccount only', () => {
  const uuid = randomUUID();

  it('creates a session (ready), binds itself in the namespace, reports status', async () => {
    cleanup.push(uuid);
    const res = await api()
      .put(`/api/dev-sessions/projects/${uuid}/session?wait=true`)
      .send({ projectId: 'least privilege', size: 'small' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      projectUuid: uuid,
      namespace: uuid,
      state: 'ready',
    });
    expect(res.body.lastError).toBeUndefined();

    const ns = await kubectlJson(['get', 'namespace', uuid]);
    expect(ns.metadata.labels).toMatchObject(OUR_LABELS(uuid));
    const rb = await kubectlJson([
      'get',
      'rolebinding',
      'dev-sessions-backend',
      '-n',
      uuid,
    ]);
    expect(rb.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'dev-sessions-session',
    });
    expect(rb.subjects).toEqual([
      {
        kind: 'ServiceAccount',
        name: 'dev-sessions-backend',
        namespace: 'dev-sessions-system',
      },
    ]);
    expect((await releases(uuid)).map((r: any) => [r.name, r.status])).toEqual([
      ['dev-session', 'deployed'],
    ]);

    // the ServiceAccount may list and watch pods and events: status comes from the watch cache
    await waitFor(
      'the status cache to sync with the ServiceAccount token',
      async () =>
        (await api().get('/api/dev-sessions/health')).body.statusSource ===
        'cache',
      60_000,
    );
    const status = await api().get(
      `/api/dev-sessions/projects/${uuid}/session/status`,
    );
    expect(status.status).toBe(200);
    expect(status.headers['server-timing']).toMatch(/desc="cache"/);
    expect(status.body.pod.phase).toBe('Running');
    expect(status.body.containers.map((c: any) => [c.name, c.ready])).toEqual([
      ['preview', true],
      ['chat', true],
      ['vscode', true],
    ]);
  });

  it('may not strip the label of its own namespace or hand its role to anyone else there', async () => {
    const strip = await asSa([
      'label',
      'namespace',
      uuid,
      'app.kubernetes.io/managed-by-',
      '--dry-run=server',
    ]);
    expect(strip.code).not.toBe(0);
    expect(strip.stderr).toMatch(/may not remove or change the labels/);
    const weaken = await asSa([
      'label',
      'namespace',
      uuid,
      'pod-security.kubernetes.io/enforce=privileged',
      '--overwrite',
      '--dry-run=server',
    ]);
    expect(weaken.code).not.toBe(0);
    const other = await asSa([
      'create',
      'rolebinding',
      'other',
      '-n',
      uuid,
      '--clusterrole=dev-sessions-session',
      '--serviceaccount=default:default',
      '--dry-run=server',
    ]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(
      /RoleBinding only to ClusterRole dev-sessions-session/,
    );
    // and no other role than the one it may bind
    const admin_ = await asSa([
      'create',
      'rolebinding',
      'admin',
      '-n',
      uuid,
      '--clusterrole=admin',
      '--serviceaccount=dev-sessions-system:dev-sessions-backend',
      '--dry-run=server',
    ]);
    expect(admin_.code).not.toBe(0);
  });

  it('a failed install (pods forbidden by a quota) is failed and rolled back; the retry is ready', async () => {
    const id = randomUUID();
    cleanup.push(id);
    // our own namespace made beforehand (as an earlier version would) with a quota of 0 pods
    await admin(
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: id, labels: OUR_LABELS(id) },
      }),
    );
    await admin(['create', 'quota', 'no-pods', '-n', id, '--hard=pods=0']);

    const bad = await api()
      .put(
        `/api/dev-sessions/projects/${id}/session?wait=true&timeoutSeconds=30`,
      )
      .send({ projectId: 'blocked', size: 'small' });
    expect(bad.status).toBe(201);
    expect(bad.body.state).toBe('failed');
    expect(bad.body.lastError).toMatch(/helm upgrade/);
    expect(bad.body.lastError).not.toMatch(/forbidden/i);
    expect(await releases(id)).toEqual([]);

    await admin(['delete', 'quota', 'no-pods', '-n', id]);
    const retry = await api()
      .put(`/api/dev-sessions/projects/${id}/session?wait=true`)
      .send({ projectId: 'blocked' });
    expect(retry.status).toBe(200);
    expect(retry.body.state).toBe('ready');
    expect((await releases(id)).map((r: any) => r.status)).toEqual([
      'deployed',
    ]);

    expect((await api().delete(`${session(id)}?wait=true`)).status).toBe(204);
    expect(await namespaceExists(id)).toBe(false);
  });

  it('deletes the session (?wait=true): release and namespace gone; deleting again is fine', async () => {
    expect((await api().delete(`${session(uuid)}?wait=true`)).status).toBe(204);
    expect(await namespaceExists(uuid)).toBe(false);
    expect((await api().get(session(uuid))).status).toBe(404);
    expect((await api().delete(session(uuid))).status).toBe(204);
  });
});

describe('the same token cannot reach outside session namespaces', () => {
  it('cannot create a ConfigMap in kube-system (403)', async () => {
    const r = await asSa([
      'create',
      'configmap',
      'x',
      '-n',
      'kube-system',
      '--from-literal=a=b',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/forbidden/i);
  });

  it('cannot read secrets in kube-system (403)', async () => {
    const r = await asSa(['get', 'secrets', '-n', 'kube-system']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/forbidden/i);
  });

  it('cannot bind itself (or anything) in kube-system, though it may create RoleBindings elsewhere', async () => {
    const r = await asSa([
      'create',
      'rolebinding',
      'take-over',
      '-n',
      'kube-system',
      '--clusterrole=dev-sessions-session',
      '--serviceaccount=dev-sessions-system:dev-sessions-backend',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/may write only in namespaces labelled/);
    expect(
      (await kubectl(['get', 'rolebinding', 'take-over', '-n', 'kube-system']))
        .code,
    ).not.toBe(0);
  });

  it.each(['kube-system', 'default'])(
    'cannot label, patch or delete namespace %s',
    async ns => {
      const label = await asSa([
        'label',
        'namespace',
        ns,
        'app.kubernetes.io/managed-by=backstage-dev-sessions',
        '--dry-run=server',
      ]);
      expect(label.code).not.toBe(0);
      expect(label.stderr).toMatch(/may update only namespaces labelled/);
      const patch = await asSa([
        'patch',
        'namespace',
        ns,
        '--type=merge',
        '-p',
        '{"metadata":{"annotations":{"x":"y"}}}',
        '--dry-run=server',
      ]);
      expect(patch.code).not.toBe(0);
      const del = await asSa(['delete', 'namespace', ns, '--dry-run=server']);
      expect(del.code).not.toBe(0);
      // the API server's own NamespaceLifecycle refuses first for these two; the policy for others
      expect(del.stderr).toMatch(/forbidden/i);
      const after = await kubectlJson(['get', 'namespace', ns]);
      expect(
        after.metadata.labels?.['app.kubernetes.io/managed-by'],
      ).toBeUndefined();
      expect(after.metadata.deletionTimestamp).toBeUndefined();
    },
  );

  it('cannot create a namespace without the managed-by label (or with a weaker Pod Security level)', async () => {
    const plain = await asSa(['create', 'namespace', `plain-${Date.now()}`]);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/may create a namespace only with the labels/);
    const privileged = await asSa(
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: `priv-${Date.now()}`,
          labels: {
            ...OUR_LABELS(randomUUID()),
            'pod-security.kubernetes.io/enforce': 'privileged',
          },
        },
      }),
    );
    expect(privileged.code).not.toBe(0);
  });
});

describe('namespaces we do not own', () => {
  it('a pre-existing namespace named after the project: PUT answers 409, DELETE leaves it alone', async () => {
    const id = randomUUID();
    cleanup.push(id);
    await admin(['create', 'namespace', id]);
    await admin(['label', 'namespace', id, 'team=payments']);
    await admin([
      'create',
      'configmap',
      'precious',
      '-n',
      id,
      '--from-literal=keep=me',
    ]);

    const res = await api()
      .put(`/api/dev-sessions/projects/${id}/session?wait=true`)
      .send({ projectId: 'squatted' });
    expect(res.status).toBe(409);
    expect(JSON.stringify(res.body)).toContain(
      `Namespace ${id} exists and is not managed by dev sessions (label app.kubernetes.io/managed-by is missing); refusing to take it over`,
    );

    // no session was stored: nothing to delete, and the namespace is not ours
    expect((await api().delete(`${session(id)}?wait=true`)).status).toBe(204);
    const ns = await kubectlJson(['get', 'namespace', id]);
    expect(ns.metadata.labels).toEqual({
      team: 'payments',
      'kubernetes.io/metadata.name': id,
    });
    expect(ns.metadata.deletionTimestamp).toBeUndefined();
    expect(
      (await kubectlJson(['get', 'configmap', 'precious', '-n', id])).data,
    ).toEqual({ keep: 'me' });
    expect(
      (
        await kubectl(['get', 'rolebinding', '-n', id, '-o', 'name'])
      ).stdout.trim(),
    ).toBe('');
  });

  it('the cluster layer never deletes a namespace it does not own (and the token could not anyway)', async () => {
    const id = randomUUID();
    cleanup.push(id);
    await admin(['create', 'namespace', id]);
    const target = resolveCluster(
      new ConfigReader({
        devSessions: {
          cluster: { kubeconfig: saKubeconfig, sessionRoleBinding },
        },
      }),
    )!;
    const cluster = new Cluster(target);
    expect(await cluster.deleteNamespace(id)).toBe('not-owned');
    await expect(cluster.ensureNamespace(id, id)).rejects.toThrow(
      /refusing to take it over/,
    );
    const del = await asSa(['delete', 'namespace', id, '--dry-run=server']);
    expect(del.code).not.toBe(0);
    expect(del.stderr).toMatch(/may delete only namespaces labelled/);
    expect(
      (await kubectlJson(['get', 'namespace', id])).metadata.deletionTimestamp,
    ).toBeUndefined();
  });
  it('in a pod: finds the cluster through the mounted ServiceAccount files, for the client and for helm', async () => {
    // the files Kubernetes mounts in a pod, and the variables it sets
    const saDir = path.join(dir, 'serviceaccount');
    fs.mkdirSync(saDir, { recursive: true });
    fs.writeFileSync(path.join(saDir, 'token'), podView.token);
    fs.writeFileSync(
      path.join(saDir, 'ca.crt'),
      Buffer.from(podView.caData ?? '', 'base64'),
    );
    const url = new URL(podView.server);
    const target = inClusterTarget(
      {
        KUBERNETES_SERVICE_HOST: url.hostname.replace(/^\[|\]$/g, ''),
        KUBERNETES_SERVICE_PORT: url.port || '443',
      },
      saDir,
    )!;
    const cluster = new Cluster(target);
    await cluster.checkReachable();
    expect(await cluster.namespaceExists('kube-system')).toBe(true);
    // helm reads the token file: it is the ServiceAccount, so kube-system's releases are refused
    const list = await run(
      clusterEnv().helm,
      ['list', '-n', 'kube-system', '-o', 'json'],
      { env: { KUBECONFIG: target.kubeconfigPath() } },
    );
    expect(list.code).not.toBe(0);
    expect(list.stderr).toContain(SA);
    expect(list.stderr).toMatch(/forbidden/);
  });
});
