import { ConfigReader } from '@backstage/config';
import { ConflictError, ServiceUnavailableError } from '@backstage/errors';
import * as k8s from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Cluster } from './Cluster';
import {
  ClusterTarget,
  inClusterTarget,
  readSessionRoleBinding,
  resolveCluster,
} from './ClusterTarget';
import { notOursReason } from './ownership';

const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const OURS = {
  'app.kubernetes.io/managed-by': 'backstage-dev-sessions',
  'dev-sessions.io/project-uuid': UUID,
  'dev-sessions.io/instance': 'default',
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
};
const apiError = (code: number) =>
  new k8s.ApiException(code, `HTTP ${code}`, {}, {});
const ns = (
  labels?: Record<string, string>,
  extra: Partial<k8s.V1ObjectMeta> = {},
): k8s.V1Namespace => ({
  metadata: {
    name: UUID,
    uid: 'uid-1',
    resourceVersion: '7',
    labels,
    ...extra,
  },
});

function makeCluster(target: Partial<ClusterTarget> = {}) {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'u' }],
    currentContext: 'test',
  });
  const warn = jest.fn();
  const cluster = new Cluster(
    { name: 'test', source: 'test', kc, kubeconfigPath: () => '', ...target },
    {
      warn,
    } as any,
  );
  const core = {
    createNamespace: jest.fn(),
    readNamespace: jest.fn(),
    patchNamespace: jest.fn(),
    deleteNamespace: jest.fn(),
  };
  const rbac = { createNamespacedRoleBinding: jest.fn() };
  const authz = {
    createSelfSubjectAccessReview: jest.fn(async () => ({
      status: { allowed: true },
    })),
  };
  Object.assign(cluster as any, { core, rbac, authz });
  return { cluster, core, rbac, authz, warn };
}

const binding = {
  name: 'dev-sessions-backend',
  clusterRole: 'dev-sessions-session',
  subject: {
    kind: 'ServiceAccount' as const,
    name: 'dev-sessions-backend',
    namespace: 'dev-sessions-system',
  },
};

describe('namespaces we own, only', () => {
  it('reasons: missing label, other manager, other project, no project label; ours is fine', () => {
    expect(notOursReason(ns(), UUID)).toBe(
      'is not managed by dev sessions (label app.kubernetes.io/managed-by is missing)',
    );
    expect(
      notOursReason(ns({ 'app.kubernetes.io/managed-by': 'Helm' }), UUID),
    ).toMatch(/"Helm", not "backstage-dev-sessions"/);
    expect(
      notOursReason(
        ns({ ...OURS, 'dev-sessions.io/project-uuid': 'other' }),
        UUID,
      ),
    ).toMatch(
      /belongs to another project \(label dev-sessions.io\/project-uuid is "other"/,
    );
    const { 'dev-sessions.io/project-uuid': _p, ...noProject } = OURS;
    expect(notOursReason(ns(noProject), UUID)).toMatch(
      /label dev-sessions.io\/project-uuid is missing/,
    );
    expect(notOursReason(ns(OURS), UUID)).toBeUndefined();
  });

  it('creates the namespace with its labels and, unconfigured, no RoleBinding', async () => {
    const { cluster, core, rbac } = makeCluster();
    await cluster.ensureNamespace(UUID, UUID);
    expect(core.createNamespace).toHaveBeenCalledWith({
      body: { metadata: { name: UUID, labels: OURS } },
    });
    expect(rbac.createNamespacedRoleBinding).not.toHaveBeenCalled();
  });

  it('refuses an existing namespace without our label with a 409 and leaves it untouched', async () => {
    const { cluster, core } = makeCluster({ sessionRoleBinding: binding });
    core.createNamespace.mockRejectedValue(apiError(409));
    core.readNamespace.mockResolvedValue(ns({ team: 'payments' }));
    const err = await cluster.ensureNamespace(UUID, UUID).catch(e => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toBe(
      `Namespace ${UUID} exists and is not managed by dev sessions (label app.kubernetes.io/managed-by is missing); refusing to take it over`,
    );
    expect(core.patchNamespace).not.toHaveBeenCalled();
    await expect(
      cluster.assertNamespaceUsable(UUID, UUID),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses a dev-sessions namespace of another project', async () => {
    const { cluster, core } = makeCluster();
    core.createNamespace.mockRejectedValue(apiError(409));
    core.readNamespace.mockResolvedValue(
      ns({ ...OURS, 'dev-sessions.io/project-uuid': 'other' }),
    );
    await expect(cluster.ensureNamespace(UUID, UUID)).rejects.toThrow(
      /belongs to another project.*refusing/,
    );
    expect(core.patchNamespace).not.toHaveBeenCalled();
  });

  it('answers 503 while the namespace is being deleted', async () => {
    const { cluster, core } = makeCluster();
    core.createNamespace.mockRejectedValue(apiError(409));
    core.readNamespace.mockResolvedValue(
      ns(OURS, { deletionTimestamp: new Date() }),
    );
    await expect(cluster.ensureNamespace(UUID, UUID)).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    await expect(
      cluster.assertNamespaceUsable(UUID, UUID),
    ).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it("keeps another installation's name on a namespace it reuses", async () => {
    const { cluster, core } = makeCluster({});
    core.createNamespace.mockRejectedValue(apiError(409));
    core.readNamespace.mockResolvedValue(
      ns({ ...OURS, 'dev-sessions.io/instance': 'staging' }),
    );
    await cluster.ensureNamespace(UUID, UUID);
    expect(core.patchNamespace).not.toHaveBeenCalled();
  });

  it('reuses its own namespace, adds only missing labels, binds the session role', async () => {
    const { cluster, core, rbac, authz } = makeCluster({
      sessionRoleBinding: binding,
    });
    core.createNamespace.mockRejectedValue(apiError(409));
    const { 'pod-security.kubernetes.io/enforce-version': _v, ...older } = OURS;
    core.readNamespace.mockResolvedValue(ns(older));
    rbac.createNamespacedRoleBinding.mockRejectedValue(apiError(409)); // already there: fine
    await cluster.ensureNamespace(UUID, UUID);
    expect(core.patchNamespace.mock.calls[0][0]).toEqual({
      name: UUID,
      body: {
        metadata: {
          labels: { 'pod-security.kubernetes.io/enforce-version': 'latest' },
          resourceVersion: '7',
        },
      },
    });
    expect(rbac.createNamespacedRoleBinding).toHaveBeenCalledWith({
      namespace: UUID,
      body: {
        metadata: {
          name: 'dev-sessions-backend',
          labels: { 'app.kubernetes.io/managed-by': 'backstage-dev-sessions' },
        },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'dev-sessions-session',
        },
        subjects: [
          {
            kind: 'ServiceAccount',
            name: 'dev-sessions-backend',
            namespace: 'dev-sessions-system',
          },
        ],
      },
    });
    expect(authz.createSelfSubjectAccessReview).toHaveBeenCalled();
  });

  it('waits until the RoleBinding is in force', async () => {
    const { cluster, authz } = makeCluster({ sessionRoleBinding: binding });
    authz.createSelfSubjectAccessReview
      .mockResolvedValueOnce({ status: { allowed: false } })
      .mockResolvedValueOnce({ status: { allowed: true } });
    await cluster.ensureNamespace(UUID, UUID);
    expect(authz.createSelfSubjectAccessReview).toHaveBeenCalledTimes(2);
  });

  it('never deletes a namespace it does not own; absent is fine; its own is deleted by uid', async () => {
    const { cluster, core, warn } = makeCluster();
    core.readNamespace.mockResolvedValueOnce(ns({ team: 'payments' }));
    expect(await cluster.deleteNamespace(UUID)).toBe('not-owned');
    expect(core.deleteNamespace).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /Not deleting namespace .* not managed by dev sessions/,
      ),
    );

    core.readNamespace.mockRejectedValueOnce(apiError(404));
    expect(await cluster.deleteNamespace(UUID)).toBe('absent');
    expect(core.deleteNamespace).not.toHaveBeenCalled();

    core.readNamespace
      .mockResolvedValueOnce(ns(OURS))
      .mockRejectedValueOnce(apiError(404));
    expect(await cluster.deleteNamespace(UUID, { projectUuid: UUID })).toBe(
      'deleted',
    );
    expect(core.deleteNamespace).toHaveBeenCalledWith({
      name: UUID,
      body: { preconditions: { uid: 'uid-1' } },
    });
  });
});

describe('devSessions.cluster.sessionRoleBinding', () => {
  it('is read with defaults and checked', () => {
    const read = (sessionRoleBinding: unknown) =>
      readSessionRoleBinding(new ConfigReader({ sessionRoleBinding } as any));
    expect(read(undefined)).toBeUndefined();
    expect(
      read({
        subject: {
          name: 'dev-sessions-backend',
          namespace: 'dev-sessions-system',
        },
      }),
    ).toEqual(binding);
    expect(
      read({
        clusterRole: 'r',
        name: 'b',
        subject: { kind: 'Group', name: 'g', namespace: 'x' },
      }),
    ).toEqual({
      clusterRole: 'r',
      name: 'b',
      subject: { kind: 'Group', name: 'g', namespace: undefined },
    });
    expect(() => read({ subject: { name: 'x' } })).toThrow(
      /subject.namespace is required/,
    );
    expect(() => read({ subject: { kind: 'Robot', name: 'x' } })).toThrow(
      /must be ServiceAccount, User or Group/,
    );
  });

  it('comes with the resolved cluster', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-'));
    const file = path.join(dir, 'kubeconfig');
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    fs.writeFileSync(file, kc.exportConfig());
    const target = resolveCluster(
      new ConfigReader({
        devSessions: {
          cluster: {
            kubeconfig: file,
            sessionRoleBinding: { subject: binding.subject },
          },
        },
      }),
    );
    expect(target?.sessionRoleBinding).toEqual(binding);
    expect(target?.kubeconfigPath()).toBe(file);
    expect(target?.context).toBeUndefined();
    // a chosen context goes to helm too (HELM_KUBECONTEXT), not only to the client
    const other = resolveCluster(
      new ConfigReader({
        devSessions: { cluster: { kubeconfig: file, context: 'c' } },
      }),
    );
    expect(other?.context).toBe('c');
  });
});

describe('in a pod: the ServiceAccount', () => {
  it('is the cluster when a token is mounted; helm gets a kubeconfig reading the same files', () => {
    const sa = fs.mkdtempSync(path.join(os.tmpdir(), 'sa-'));
    fs.writeFileSync(path.join(sa, 'token'), 'tok');
    fs.writeFileSync(path.join(sa, 'ca.crt'), 'ca');
    const env = {
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
    };
    const target = inClusterTarget(env, sa)!;
    expect(target.name).toBe('in-cluster');
    expect(target.kc.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
    expect(target.kc.getCurrentUser()?.token).toBe('tok');
    const file = JSON.parse(fs.readFileSync(target.kubeconfigPath(), 'utf8'));
    expect(file.clusters[0].cluster).toEqual({
      server: 'https://10.96.0.1:443',
      'certificate-authority': path.join(sa, 'ca.crt'),
    });
    expect(file.users[0].user).toEqual({ tokenFile: path.join(sa, 'token') });
    expect(fs.statSync(target.kubeconfigPath()).mode & 0o777).toBe(0o600);
    // IPv6 hosts in brackets; without a token or the variables: not in a pod
    expect(
      inClusterTarget(
        { ...env, KUBERNETES_SERVICE_HOST: 'fd00::1' },
        sa,
      )!.kc.getCurrentCluster()?.server,
    ).toBe('https://[fd00::1]:443');
    expect(inClusterTarget({}, sa)).toBeUndefined();
    expect(inClusterTarget(env, path.join(sa, 'missing'))).toBeUndefined();
  });
});
