import { ManifestCheck } from './ManifestCheck';

const NS = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const obj = (kind: string, name: string, extra = '', apiVersion = 'v1') =>
  `---\napiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n  labels:\n    dev-sessions.io/project-uuid: ${NS}\n${extra}`;
const check = (m: string) =>
  new ManifestCheck().check(m, { namespace: NS, projectUuid: NS });

describe('ManifestCheck', () => {
  it('passes the chart kinds in the session namespace and lists them', () => {
    const m = `# Source: x\n${obj('Service', 'dev-session-preview')}${obj(
      'Deployment',
      'dev-session',
      `  namespace: ${NS}\n`,
      'apps/v1',
    )}---\n`;
    expect(check(m)).toEqual([
      'Service/dev-session-preview',
      'Deployment/dev-session',
    ]);
  });

  it('refuses other kinds, cluster-scoped objects and other namespaces', () => {
    expect(() =>
      check(obj('ClusterRoleBinding', 'x', '', 'rbac.authorization.k8s.io/v1')),
    ).toThrow(
      /ClusterRoleBinding\/x has kind rbac\.authorization\.k8s\.io\/v1\/ClusterRoleBinding, which a dev session may not create/,
    );
    expect(() => check(obj('Namespace', 'x'))).toThrow(/may not create/);
    expect(() =>
      check(obj('Service', 'x', '  namespace: kube-system\n')),
    ).toThrow(
      /Service\/x is in namespace "kube-system", outside the session's namespace/,
    );
  });

  it("refuses objects without the project label, or with another project's", () => {
    expect(() =>
      check('apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n'),
    ).toThrow(/does not carry the label/);
    expect(() =>
      check(
        obj('Service', 'x').replace(NS, '00000000-0000-0000-0000-000000000000'),
      ),
    ).toThrow(/does not carry the label/);
  });

  it('refuses pods with host access', () => {
    const pod = (spec: string) => obj('Pod', 'p', `spec:\n${spec}`);
    expect(() => check(pod('  hostNetwork: true\n'))).toThrow(
      /Pod\/p sets hostNetwork/,
    );
    expect(() =>
      check(pod('  volumes:\n    - name: root\n      hostPath: {path: /}\n')),
    ).toThrow(/mounts a hostPath volume/);
    expect(() =>
      check(
        pod(
          '  containers:\n    - name: c\n      securityContext: {privileged: true}\n',
        ),
      ),
    ).toThrow(/privileged/);
    expect(() => check(pod('  nodeName: control-plane\n'))).toThrow(
      /sets nodeName/,
    );
  });

  it('refuses YAML tricks: aliases, duplicate keys, broken documents', () => {
    expect(() =>
      check(`${obj('Service', 'x')}spec: &a {x: 1}\nother: *a\n`),
    ).toThrow();
    expect(() => check(`${obj('Service', 'x')}metadata:\n  name: y\n`)).toThrow(
      /not valid YAML/,
    );
    expect(() => check('- just\n- a list\n')).toThrow(
      /is not a Kubernetes object/,
    );
  });
});
