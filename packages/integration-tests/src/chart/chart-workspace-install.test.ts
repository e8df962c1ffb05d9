/*
 * A session's volumes survive everything but deleting the session, on a real cluster: upgrades
 * (`--atomic`, as the backend runs them) with every value a user or the platform may change keep
 * the same claims (same UID) and their data marker; a claim grows with its size and is never
 * shrunk (a smaller preset keeps it, a smaller explicit size is refused with a message before
 * anything changes); a failed install that Helm rolls back and the retry after it keep them too.
 */
import { randomUUID } from 'node:crypto';
import { helm, testNamespace } from '../index';
import {
  claimsIn,
  getIn,
  installChart,
  markClaims,
  releaseHistory,
  sessionNamespaceLabels,
  sessionPod,
  tryInstallChart,
} from './install';
import { merge } from './render';

jest.setTimeout(600_000);

const uuid = randomUUID();
const release = 'dev-session';
const get = getIn(uuid);
const CLAIMS = [
  'dev-session-agent-config',
  'dev-session-history',
  'dev-session-workspace',
];
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** The sizes the volumes have grown to in the upgrades below (smaller ones are refused). */
const grown = {
  storage: {
    size: '25Gi',
    history: { size: '2Gi' },
    agentConfig: { size: '3Gi' },
  },
};

const base = {
  project: { uuid, id: 'workspace-test' },
  user: { id: 'user:default/jane' },
};

testNamespace(uuid, sessionNamespaceLabels(uuid));

let original: Awaited<ReturnType<typeof claimsIn>>;
let originalClass: string;

/** The claims are the very ones of the first install, with their marker. */
async function expectSameClaims() {
  const now = await claimsIn(uuid);
  expect(Object.keys(now).sort()).toEqual(CLAIMS);
  for (const name of CLAIMS) {
    expect({ name, uid: now[name].uid, marker: now[name].marker }).toEqual({
      name,
      uid: original[name].uid,
      marker: 'precious',
    });
  }
  return now;
}

async function expectRunning() {
  const pod = await sessionPod(uuid, uuid);
  expect(pod.status.phase).toBe('Running');
  expect(pod.status.containerStatuses.every((c: any) => c.ready)).toBe(true);
  return pod;
}

/** What a user may set (the backend's default allowlist) and the platform may set. */
const userValues = {
  containers: {
    preview: {
      command: ['sh', '-c'],
      args: [
        "exec node -e \"require('http').createServer((q, s) => s.end('ok')).listen(3000)\"",
      ],
      env: [{ name: 'NODE_ENV', value: 'development' }],
      image: { repository: 'node', tag: '20-alpine' },
      resources: { limits: { cpu: '1', memory: '1G' } },
    },
    chat: {
      env: [{ name: 'MODEL', value: 'large' }],
      image: { repository: 'docker.io/library/node', digest: DIGEST },
      resources: { requests: { cpu: '300m' }, limits: { memory: '2Gi' } },
    },
    vscode: {
      image: { repository: 'codercom/code-server', tag: '4.10' },
      resources: { limits: { cpu: 1.5 } },
    },
  },
};
const platformValues = {
  imagePullSecrets: ['regcred'],
  podLabels: { team: 'blue' },
  podAnnotations: { 'example.com/owner': 'platform' },
  service: {
    preview: { port: 5173, path: '/app' },
    lb: { annotations: { 'example.com/lb': 'x' } },
  },
  serviceAccount: { annotations: { 'example.com/sa': 'y' } },
  networkPolicy: {
    gatewayPeers: [
      {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'platform' },
        },
      },
    ],
    egress: { internet: false },
  },
  // new claims only: an existing claim keeps its class and access modes (immutable)
  storage: { storageClass: 'fast-ssd', accessModes: ['ReadWriteOncePod'] },
  containers: {
    preview: {
      probes: {
        startup: { path: '/', periodSeconds: 2, failureThreshold: 30 },
        readiness: { path: '/', periodSeconds: 5 },
        liveness: { path: '/', periodSeconds: 30 },
      },
      secretEnvFrom: ['preview-settings'],
    },
    chat: { secretEnvFrom: ['agent-api-key'] },
  },
  tests: { image: { repository: 'busybox', tag: '1.36' } },
};

describe('dev-session chart: the volumes are never lost', () => {
  it('installs, and the test marks every claim', async () => {
    await installChart(release, uuid, base, { atomic: true });
    await markClaims(uuid, 'precious');
    original = await claimsIn(uuid);
    originalClass = (await get('pvc', 'dev-session-workspace')).spec
      .storageClassName;
    expect(originalClass).toBeTruthy();
    expect(Object.keys(original).sort()).toEqual(CLAIMS);
    expect(original['dev-session-workspace'].size).toBe('10Gi');
  });

  // [what changes, the values of the upgrade, the workspace size after it]
  const upgrades: Array<[string, object, string]> = [
    [
      'a smaller size preset (the workspace keeps its size)',
      { size: 'small' },
      '10Gi',
    ],
    ['a larger size preset (the workspace grows)', { size: 'large' }, '20Gi'],
    ['another nameOverride', { nameOverride: 'ds' }, '20Gi'],
    [
      'another fullnameOverride',
      { fullnameOverride: 'ws', size: 'large' },
      '20Gi',
    ],
    ['every value a user may set', userValues, '20Gi'],
    ['the values a platform sets', platformValues, '20Gi'],
    [
      'all of it at once, with larger volumes',
      merge(userValues, platformValues, {
        size: 'medium',
        fullnameOverride: 'session',
        storage: {
          size: '25Gi',
          history: { size: '2Gi' },
          agentConfig: { size: '3Gi' },
        },
      }),
      '25Gi',
    ],
    [
      'history and agent config switched off (unmounted, kept)',
      {
        storage: {
          size: '25Gi',
          history: { enabled: false },
          agentConfig: { enabled: false },
        },
      },
      '25Gi',
    ],
    [
      'history and agent config switched on again',
      { storage: { history: { size: '2Gi' }, agentConfig: { size: '3Gi' } } },
      '25Gi',
    ],
  ];

  it.each(upgrades)(
    'upgrades with %s and keeps the same claims and their data',
    async (_what, values, workspaceSize) => {
      const before = (await releaseHistory(release, uuid)).at(-1)!.revision;
      await installChart(release, uuid, merge(base, values), {
        atomic: true,
      });
      expect((await releaseHistory(release, uuid)).at(-1)).toMatchObject({
        revision: before + 1,
        status: 'deployed',
      });
      const now = await expectSameClaims();
      expect(now['dev-session-workspace'].size).toBe(workspaceSize);
      const pod = await expectRunning();
      const mounted = pod.spec.volumes
        .filter((v: any) => v.persistentVolumeClaim)
        .map((v: any) => v.persistentVolumeClaim.claimName)
        .sort();
      const storage = (values as any).storage ?? {};
      expect(mounted).toEqual(
        storage.history?.enabled === false ? ['dev-session-workspace'] : CLAIMS,
      );
      // the claims' own class and access modes never change
      const ws = await get('pvc', 'dev-session-workspace');
      expect(ws.spec.storageClassName).toBe(originalClass);
      expect(ws.spec.accessModes).toEqual(['ReadWriteOnce']);
    },
  );

  it('the quota follows the claims as they are, kept ones included', async () => {
    const quota = await get('resourcequota', 'dev-session');
    expect(quota.spec.hard.persistentvolumeclaims).toBe('3');
    expect(quota.spec.hard['requests.storage']).toBe(`${25 + 2 + 3}Gi`);
    expect(quota.status.used['requests.storage']).toBe(`${25 + 2 + 3}Gi`);
  });

  it.each([
    [
      'the workspace',
      { storage: { size: '20Gi' } },
      "storage.size: 20Gi is smaller than the session's existing claim dev-session-workspace (25Gi); a PersistentVolumeClaim cannot shrink, so its data would be lost. Keep 25Gi or more",
    ],
    [
      'the history volume',
      { storage: { size: '25Gi', history: { size: '1Gi' } } },
      "storage.history.size: 1Gi is smaller than the session's existing claim dev-session-history (2Gi)",
    ],
    [
      'the agent config volume',
      merge(grown, { storage: { agentConfig: { size: '2048Mi' } } }),
      "storage.agentConfig.size: 2048Mi is smaller than the session's existing claim dev-session-agent-config (3Gi)",
    ],
  ])(
    'refuses to shrink %s, with a message, before anything changes',
    async (_what, values, message) => {
      const before = await releaseHistory(release, uuid);
      const r = await tryInstallChart(release, uuid, merge(base, values), {
        atomic: true,
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(message);
      // Helm failed while rendering: no new revision, nothing rolled back, nothing changed
      expect(await releaseHistory(release, uuid)).toEqual(before);
      const now = await expectSameClaims();
      expect(now['dev-session-workspace'].size).toBe('25Gi');
      await expectRunning();
    },
  );

  it('keeps the claims when a failed install is rolled back (--atomic), and the retry adopts them', async () => {
    // stop the session (uninstall), then an install that cannot become ready
    await helm(
      ['uninstall', release, '-n', uuid, '--wait', '--timeout', '60s'],
      90_000,
    );
    await expectSameClaims();
    const failed = await tryInstallChart(
      release,
      uuid,
      merge(base, grown, {
        nodeSelector: { 'dev-sessions.io/no-such-node': 'true' },
      }),
      { atomic: true, timeoutSeconds: 10 },
    );
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/uninstalled|release .* failed/i);
    await expectSameClaims();

    // the retry
    await installChart(release, uuid, merge(base, grown), {
      atomic: true,
    });
    const now = await expectSameClaims();
    expect(now['dev-session-workspace'].size).toBe('25Gi');
    await expectRunning();
  });
});
