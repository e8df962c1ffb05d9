/*
 * Self-service cannot reach past the session: a corpus of escape and injection payloads, sent
 * through the REST API (create and dry run) and through the dev-session:create action, each
 * answered 400 naming the value path, with no Helm call, nothing stored and no object created on
 * the real cluster. helm is the real binary behind a wrapper that records every call.
 */
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createDevSessionCreateAction } from '@dev-sessions/backstage-plugin-scaffolder-backend-module-dev-sessions';
import {
  clusterEnv,
  kubectlJson,
  startDevSessionsTestBackend,
} from '@dev-sessions/integration-tests';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { devSessionsPlugin } from '../plugin';
import { actionDeps } from '../__testUtils__/actionDeps';

jest.setTimeout(120_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-wrapper-'));
const marker = path.join(dir, 'calls');

let server: any;
let port: number;
const uuids: string[] = [];

beforeAll(async () => {
  const env = clusterEnv();
  const wrapper = path.join(dir, 'helm');
  fs.writeFileSync(
    wrapper,
    `#!/bin/sh\necho "$@" >> "${marker}"\nexec "${env.helm}" "$@"\n`,
    { mode: 0o755 },
  );
  const backend = await startDevSessionsTestBackend({
    features: [devSessionsPlugin],
    devSessions: { helm: { binary: wrapper } },
  });
  server = backend.server;
  port = backend.server.port();
});

const newline = (s: string) =>
  `${s}\n---\napiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: freeze\n  namespace: kube-system\nspec:\n  hard: {pods: "0"}\n`;

type Case = [
  name: string,
  values: Record<string, unknown>,
  path: string,
  rule: RegExp,
];
const PLATFORM = /is set by the platform/;
const CONTROL = /control characters/;
const cases: Case[] = [
  [
    "the issue's ResourceQuota in existingClaim",
    { storage: { existingClaim: newline('ws') } },
    'values.storage.existingClaim',
    PLATFORM,
  ],
  [
    'a new object in serviceAccount.name',
    { serviceAccount: { name: newline('sa') } },
    'values.serviceAccount.name',
    PLATFORM,
  ],
  [
    'a new object in ingress.className',
    { ingress: { className: newline('nginx') } },
    'values.ingress.className',
    PLATFORM,
  ],
  [
    'a new object in ingress.tls.secretName',
    { ingress: { tls: { secretName: newline('tls') } } },
    'values.ingress.tls.secretName',
    PLATFORM,
  ],
  [
    'nameOverride',
    { nameOverride: newline('x') },
    'values.nameOverride',
    PLATFORM,
  ],
  [
    'fullnameOverride',
    { fullnameOverride: newline('x') },
    'values.fullnameOverride',
    PLATFORM,
  ],
  [
    'switching the quota off',
    { quota: { enabled: false } },
    'values.quota.enabled',
    PLATFORM,
  ],
  [
    'switching the network policy off',
    { networkPolicy: { enabled: false } },
    'values.networkPolicy.enabled',
    PLATFORM,
  ],
  [
    'egress to the cloud metadata address',
    {
      networkPolicy: {
        egress: {
          extraRules: [{ to: [{ ipBlock: { cidr: '169.254.169.254/32' } }] }],
        },
      },
    },
    'values.networkPolicy.egress.extraRules[0].to[0].ipBlock.cidr',
    PLATFORM,
  ],
  [
    'switching the LimitRange off',
    { limitRange: { enabled: false } },
    'values.limitRange.enabled',
    PLATFORM,
  ],
  [
    '64 CPUs for every container',
    { resources: { limits: { cpu: '64' } } },
    'values.resources.limits.cpu',
    PLATFORM,
  ],
  [
    '64 CPUs for VS Code',
    { containers: { vscode: { resources: { limits: { cpu: '64' } } } } },
    'values.containers.vscode.resources.limits.cpu',
    /above the platform's cap of 12/,
  ],
  [
    '512 Gi for chat',
    { containers: { chat: { resources: { limits: { memory: '512Gi' } } } } },
    'values.containers.chat.resources.limits.memory',
    /above the platform's cap of 24Gi/,
  ],
  [
    'a 1 Ti workspace',
    { storage: { size: '1Ti' } },
    'values.storage.size',
    PLATFORM,
  ],
  [
    'another storage class',
    { storage: { storageClass: 'fast-ssd' } },
    'values.storage.storageClass',
    PLATFORM,
  ],
  [
    'tolerating every taint',
    { tolerations: [{ operator: 'Exists' }] },
    'values.tolerations[0].operator',
    PLATFORM,
  ],
  [
    'scheduling on control-plane nodes',
    { nodeSelector: { 'node-role.kubernetes.io/control-plane': '' } },
    'values.nodeSelector["node-role.kubernetes.io/control-plane"]',
    PLATFORM,
  ],
  [
    'an image from another registry',
    {
      containers: {
        preview: { image: { repository: 'evil.example.com/miner' } },
      },
    },
    'values.containers.preview.image.repository',
    /registry evil\.example\.com is not allowed/,
  ],
  [
    'pullPolicy Never',
    { containers: { preview: { image: { pullPolicy: 'Never' } } } },
    'values.containers.preview.image.pullPolicy',
    PLATFORM,
  ],
  [
    'pod annotations',
    {
      podAnnotations: {
        'container.apparmor.security.beta.kubernetes.io/vscode': 'unconfined',
      },
    },
    'values.podAnnotations["container.apparmor.security.beta.kubernetes.io/vscode"]',
    PLATFORM,
  ],
  [
    'overwriting the project label',
    {
      podLabels: {
        'dev-sessions.io/project-uuid': '00000000-0000-0000-0000-000000000000',
      },
    },
    'values.podLabels["dev-sessions.io/project-uuid"]',
    PLATFORM,
  ],
  [
    'cloud workload identity',
    {
      serviceAccount: {
        annotations: {
          'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/admin',
        },
      },
    },
    'values.serviceAccount.annotations["eks.amazonaws.com/role-arn"]',
    PLATFORM,
  ],
  [
    'a LoadBalancer',
    { service: { lb: { type: 'LoadBalancer' } } },
    'values.service.lb.type',
    PLATFORM,
  ],
  [
    'an env var from a secret',
    {
      containers: {
        chat: {
          env: [
            { name: 'T', valueFrom: { secretKeyRef: { name: 'x', key: 'y' } } },
          ],
        },
      },
    },
    'values.containers.chat.env[0].valueFrom',
    /only name and a plain string value/,
  ],
  [
    'an ingress for the Backstage host',
    { ingress: { enabled: true, host: 'backstage.example.com' } },
    'values.ingress.enabled',
    PLATFORM,
  ],
  [
    'a new object in args',
    { containers: { preview: { args: [newline('x')] } } },
    'values.containers.preview.args[0]',
    CONTROL,
  ],
  [
    'a newline in an env value',
    { containers: { chat: { env: [{ name: 'A', value: 'a\nb' }] } } },
    'values.containers.chat.env[0].value',
    CONTROL,
  ],
  [
    'a new object in an env name',
    { containers: { chat: { env: [{ name: newline('A'), value: 'x' }] } } },
    'values.containers.chat.env[0].name',
    CONTROL,
  ],
  [
    'a line separator in command',
    { containers: { vscode: { command: ['sh\u2028-c'] } } },
    'values.containers.vscode.command[0]',
    CONTROL,
  ],
  [
    'a new object in the image tag',
    { containers: { preview: { image: { tag: newline('1') } } } },
    'values.containers.preview.image.tag',
    CONTROL,
  ],
  [
    'a newline in a key',
    { containers: { preview: { 'args\nx': ['a'] } } },
    'values.containers.preview["args\\nx"]',
    CONTROL,
  ],
  [
    'a container of its own',
    { containers: { miner: { command: ['xmrig'] } } },
    'values.containers.miner',
    /must be one of the containers preview, chat, vscode/,
  ],
  [
    'secrets of the namespace as env',
    { secretEnvFrom: ['db-credentials'] },
    'values.secretEnvFrom[0]',
    PLATFORM,
  ],
  [
    'running as root',
    { security: { runAsUser: 0 } },
    'values.security.runAsUser',
    PLATFORM,
  ],
  [
    'a bigger preset',
    { presets: { small: { resources: { limits: { cpu: '64' } } } } },
    'values.presets.small.resources.limits.cpu',
    PLATFORM,
  ],
  [
    'another helm test image',
    { tests: { image: { repository: 'evil.example.com/x' } } },
    'values.tests.image.repository',
    PLATFORM,
  ],
  [
    'env as an object',
    { containers: { chat: { env: { A: 'b' } } } },
    'values.containers.chat.env',
    /must be a list/,
  ],
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('values policy: escape and injection corpus', () => {
  it('has at least 30 payloads', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)(
    'REST refuses %s with 400 naming the path',
    async (_name, values, where, rule) => {
      const uuid = randomUUID();
      uuids.push(uuid);
      for (const query of ['', '?dryRun=true', '?wait=true']) {
        const res = await request(server)
          .put(`/api/dev-sessions/projects/${uuid}/session${query}`)
          .send({ projectId: 'attack', values });
        expect(res.status).toBe(400);
        expect(res.body.error.name).toBe('InputError');
        expect(res.body.error.message).toMatch(
          new RegExp(`^Invalid ${escape(where)}: `),
        );
        expect(res.body.error.message).toMatch(rule);
      }
    },
  );

  it.each(cases)(
    'the dev-session:create action refuses %s naming the path',
    async (_name, values, where) => {
      const uuid = randomUUID();
      uuids.push(uuid);
      const deps = actionDeps(port);
      for (const isDryRun of [false, true]) {
        const ctx = createMockActionContext({
          input: {
            projectUuid: uuid,
            projectId: 'attack',
            values: values as any,
          },
          isDryRun,
        });
        await expect(
          createDevSessionCreateAction(deps).handler(ctx as any),
        ).rejects.toThrow(where);
      }
    },
  );

  it('called helm not once, stored nothing and created no namespace', async () => {
    expect(fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : '').toBe(
      '',
    );
    const list = await request(server).get('/api/dev-sessions/sessions');
    expect(list.body.items).toEqual([]);
    const namespaces = await kubectlJson(['get', 'namespaces']);
    const names = new Set(namespaces.items.map((n: any) => n.metadata.name));
    expect(uuids.filter(u => names.has(u))).toEqual([]);
    expect(uuids.length).toBe(cases.length * 2);
    const quotas = await kubectlJson([
      'get',
      'resourcequotas',
      '-n',
      'kube-system',
    ]);
    expect(quotas.items.map((q: any) => q.metadata.name)).not.toContain(
      'freeze',
    );
  });

  it('accepts what users may set, within the caps', async () => {
    const uuid = randomUUID();
    const res = await request(server)
      .put(`/api/dev-sessions/projects/${uuid}/session?dryRun=true`)
      .send({
        projectId: 'fine',
        values: {
          containers: {
            preview: {
              command: ['npm'],
              args: ['run', 'dev'],
              env: [{ name: 'NODE_ENV', value: 'development' }],
            },
            vscode: {
              image: { repository: 'codercom/code-server', tag: '4.96.4' },
              resources: { limits: { cpu: '3' } },
            },
          },
        },
      });
    expect(res.status).toBe(200);
    expect(res.body.objects).toEqual(
      expect.arrayContaining([
        'Deployment/dev-session',
        'ResourceQuota/dev-session',
        'NetworkPolicy/dev-session',
      ]),
    );
    expect(res.body.manifests).toContain('NODE_ENV');
  });
});
