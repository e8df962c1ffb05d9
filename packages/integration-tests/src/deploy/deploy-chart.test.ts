/*
 * The backend's deploy chart (charts/dev-sessions-backend): `helm lint --strict`; its RBAC and
 * admission policies are exactly deploy/kubernetes/rbac.yaml (which the backend's rbac cluster
 * test runs the whole session flow with); and it installs on the local cluster, where the API
 * server validates every object and kwok runs the two replicas, with a ServiceAccount that may
 * do what the plugin needs and nothing else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import {
  helm,
  kubectl,
  kubectlJson,
  randomSuffix,
  repoRoot,
  testNamespace,
  waitFor,
} from '../index';

jest.setTimeout(300_000);

const chart = path.join(repoRoot, 'charts', 'dev-sessions-backend');
const lintValues = path.join(chart, 'ci', 'lint-values.yaml');
const objects = (text: string) =>
  parseAllDocuments(text)
    .map(d => d.toJS())
    .filter(Boolean);

describe('deploy chart', () => {
  it('lints strictly', async () => {
    const out = await helm(['lint', '--strict', chart, '-f', lintValues]);
    expect(out).toContain('0 chart(s) failed');
  });

  it('grants exactly deploy/kubernetes/rbac.yaml, for its own ServiceAccount', async () => {
    const rendered = objects(
      await helm([
        'template',
        'dsb',
        chart,
        '-n',
        'dev-sessions-system',
        '-f',
        lintValues,
        '--show-only',
        'templates/rbac.yaml',
        '--show-only',
        'templates/serviceaccount.yaml',
      ]),
    ).map(o => {
      // the chart's own labels on its ServiceAccount are the only difference
      if (o.kind === 'ServiceAccount') delete o.metadata.labels;
      return o;
    });
    const manifest = objects(
      fs.readFileSync(
        path.join(repoRoot, 'deploy/kubernetes/rbac.yaml'),
        'utf8',
      ),
    ).filter(o => o.kind !== 'Namespace');
    const key = (o: any) => `${o.kind}/${o.metadata.name}`;
    const sort = (os: any[]) =>
      [...os].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sort(rendered)).toEqual(sort(manifest));
  });

  describe('installed on the local cluster', () => {
    const ns = `dsb-${randomSuffix()}`;
    const names = {
      'rbac.backendClusterRole': `${ns}-backend`,
      'rbac.sessionClusterRole': `${ns}-session`,
      'rbac.policyPrefix': ns,
    };
    const sa = `system:serviceaccount:${ns}:dev-sessions-backend`;
    testNamespace(ns, { 'pod-security.kubernetes.io/enforce': 'restricted' });

    afterAll(async () => {
      await helm([
        'uninstall',
        'dsb',
        '-n',
        ns,
        '--wait',
        '--timeout',
        '60s',
      ]).catch(() => undefined);
    });

    it('runs two ready replicas with a PodDisruptionBudget and a NetworkPolicy', async () => {
      const secret = await kubectl([
        'create',
        'secret',
        'generic',
        'dev-sessions-postgres',
        '-n',
        ns,
        '--from-literal=host=postgres',
        '--from-literal=port=5432',
        '--from-literal=user=backstage',
        '--from-literal=password=not-a-real-one',
      ]);
      expect(secret.stderr).toBe('');
      const set = Object.entries(names).flatMap(([k, v]) => [
        '--set-string',
        `${k}=${v}`,
      ]);
      await helm(
        [
          'install',
          'dsb',
          chart,
          '-n',
          ns,
          '-f',
          lintValues,
          ...set,
          '--wait',
          '--timeout',
          '180s',
        ],
        240_000,
      );
      const deployment = await kubectlJson([
        '-n',
        ns,
        'get',
        'deployment',
        'dsb',
      ]);
      expect(deployment.spec.replicas).toBe(2);
      expect(deployment.status.readyReplicas).toBe(2);
      const pod = deployment.spec.template.spec;
      expect(pod.serviceAccountName).toBe('dev-sessions-backend');
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(
        true,
      );
      const pdb = await waitFor('the PDB to count the pods', async () => {
        const p = await kubectlJson(['-n', ns, 'get', 'pdb', 'dsb']);
        return p.status?.currentHealthy === 2 && p;
      });
      expect(pdb.status.disruptionsAllowed).toBe(1);
      const np = await kubectlJson(['-n', ns, 'get', 'networkpolicy', 'dsb']);
      expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      const config = await kubectlJson([
        '-n',
        ns,
        'get',
        'configmap',
        'dsb-config',
      ]);
      const appConfig = parse(config.data['app-config.production.yaml']);
      expect(
        appConfig.devSessions.cluster.sessionRoleBinding.subject.namespace,
      ).toBe(ns);
      // every session's NetworkPolicy admits the gateway: these pods, wherever they run
      expect(
        appConfig.devSessions.defaultValues.networkPolicy.gatewayPeers,
      ).toEqual([
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': ns },
          },
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/name': 'dev-sessions-backend',
              'app.kubernetes.io/instance': 'dsb',
            },
          },
        },
      ]);
    });

    it('its ServiceAccount may do what the plugin needs and nothing more', async () => {
      const can = async (...args: string[]) => {
        const r = await kubectl(['auth', 'can-i', '--as', sa, ...args]);
        return r.stdout.trim();
      };
      // cluster level: namespaces, RoleBindings, bind on the session role only
      expect(await can('create', 'namespaces')).toBe('yes');
      expect(await can('delete', 'namespaces')).toBe('yes');
      expect(await can('create', 'rolebindings', '-n', 'some-session')).toBe(
        'yes',
      );
      expect(
        await can('bind', `clusterroles/${names['rbac.sessionClusterRole']}`),
      ).toBe('yes');
      expect(await can('bind', 'clusterroles/cluster-admin')).toBe('no');
      expect(await can('escalate', 'clusterroles')).toBe('no');
      // the status cache's watches: list and watch pods and events in every namespace
      for (const verb of ['list', 'watch'])
        for (const resource of ['pods', 'events'])
          expect(await can(verb, resource, '--all-namespaces')).toBe('yes');
      // nothing else namespaced outside the namespaces it binds itself into
      for (const [verb, resource] of [
        ['get', 'secrets'],
        ['list', 'secrets'],
        ['create', 'pods'],
        ['delete', 'pods'],
        ['get', 'pods/log'],
        ['create', 'deployments'],
      ])
        expect(await can(verb, resource, '-n', 'kube-system')).toBe('no');
      expect(await can('create', 'clusterrolebindings')).toBe('no');
      expect(await can('create', 'pods/exec', '-n', 'default')).toBe('no');
    });
  });
});
