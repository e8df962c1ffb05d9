/*
 * Private registries, pinned images and per-role secrets on a real cluster: a session whose
 * images come from a private registry (imagePullSecrets on the pod, its ServiceAccount and the
 * test pod), pinned by digest or with a numeric-looking tag, installs and becomes Ready; each
 * Secret reaches only the container it is configured for.
 */
import { randomUUID } from 'node:crypto';
import { helm, kubectlApply, testNamespace } from '../index';
import {
  getIn,
  installChart,
  sessionNamespaceLabels,
  sessionPod,
} from './install';

jest.setTimeout(300_000);

const uuid = randomUUID();
const release = 'dev-session';
const get = getIn(uuid);
const DIGEST = `sha256:${'4f2a1b0c9d8e7f6a'.repeat(4)}`;

testNamespace(uuid, sessionNamespaceLabels(uuid));

const secret = (name: string, type: string, data: Record<string, string>) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: uuid },
    type,
    stringData: data,
  });

const values = {
  project: { uuid, id: 'registry-test' },
  user: { id: 'user:default/jane' },
  imagePullSecrets: ['registry-credentials'],
  containers: {
    preview: {
      image: { repository: 'registry.example.com/apps/preview', tag: '1.0' },
    },
    chat: {
      image: { repository: 'registry.example.com/ai/agent', digest: DIGEST },
      secretEnvFrom: ['agent-api-key'],
    },
    vscode: {
      image: {
        repository: 'registry.example.com/tools/code-server',
        tag: '4.10',
      },
      secretEnvFrom: ['git-credentials'],
    },
  },
  tests: {
    image: {
      repository: 'registry.example.com/mirror/busybox',
      digest: DIGEST,
    },
  },
};

describe('dev-session chart: private registries, pinned images, per-role secrets', () => {
  it('installs and becomes Ready', async () => {
    await kubectlApply(
      secret('registry-credentials', 'kubernetes.io/dockerconfigjson', {
        '.dockerconfigjson': JSON.stringify({
          auths: { 'registry.example.com': { auth: 'dXNlcjpwYXNz' } },
        }),
      }),
    );
    await kubectlApply(
      secret('agent-api-key', 'Opaque', { ANTHROPIC_API_KEY: 'test-key' }),
    );
    await kubectlApply(
      secret('git-credentials', 'Opaque', { GITHUB_TOKEN: 'test-token' }),
    );
    await installChart(release, uuid, values, { atomic: true });
    const pod = await sessionPod(uuid, uuid);
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.containerStatuses.every((c: any) => c.ready)).toBe(true);
  });

  it('pulls with the registry credentials: pod and ServiceAccount', async () => {
    const pod = await sessionPod(uuid, uuid);
    expect(pod.spec.imagePullSecrets).toEqual([
      { name: 'registry-credentials' },
    ]);
    const sa = await get('serviceaccount', pod.spec.serviceAccountName);
    expect(sa.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
  });

  it('runs the pinned images and the tags as written', async () => {
    const pod = await sessionPod(uuid, uuid);
    expect(
      Object.fromEntries(
        pod.spec.containers.map((c: any) => [c.name, c.image]),
      ),
    ).toEqual({
      preview: 'registry.example.com/apps/preview:1.0',
      chat: `registry.example.com/ai/agent@${DIGEST}`,
      vscode: 'registry.example.com/tools/code-server:4.10',
    });
  });

  it('gives each Secret only to its container', async () => {
    const pod = await sessionPod(uuid, uuid);
    const envFrom = Object.fromEntries(
      pod.spec.containers.map((c: any) => [c.name, c.envFrom ?? []]),
    );
    expect(envFrom).toEqual({
      preview: [],
      chat: [{ secretRef: { name: 'agent-api-key' } }],
      vscode: [{ secretRef: { name: 'git-credentials' } }],
    });
  });

  it('the helm test pod pulls its pinned image with the credentials too', async () => {
    const manifest = await helm(['get', 'hooks', release, '-n', uuid]);
    expect(manifest).toContain(
      `image: "registry.example.com/mirror/busybox@${DIGEST}"`,
    );
    expect(manifest).toMatch(
      /imagePullSecrets:\s*\n\s*- name: "registry-credentials"/,
    );
  });
});
