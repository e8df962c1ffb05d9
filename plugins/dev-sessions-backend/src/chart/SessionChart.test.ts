/*
 * The session chart with the real helm binary (DEV_SESSIONS_HELM, else helm on PATH) and the
 * repository's charts/dev-session: values, policy, schema, `helm template`, the manifest check
 * and the links read from what the chart rendered.
 */
import { ConfigReader } from '@backstage/config';
import { DevSessionSpec } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSettings } from '../config/settings';
import { Helm } from '../helm/Helm';
import { chartPath, chartVersion } from '../__testUtils__/chart';
import { DEFAULT_ALLOWED_KINDS } from './ManifestCheck';
import { SessionChart } from './SessionChart';

jest.setTimeout(60_000);

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

const spec = (extra: Partial<DevSessionSpec> = {}): DevSessionSpec => ({
  projectUuid: A,
  projectId: 'p',
  owner: 'user:default/jane',
  size: 'large',
  values: {},
  ...extra,
});

function chartFor(devSessions: Record<string, any> = {}) {
  const settings = readSettings(
    new ConfigReader({
      devSessions: {
        chart: { path: chartPath },
        ...devSessions,
      },
    }),
  );
  const helm = new Helm({
    binary: process.env.DEV_SESSIONS_HELM ?? 'helm',
    kubeconfigPath: () => path.join(os.tmpdir(), 'no-such-kubeconfig'),
  });
  const template = jest.spyOn(helm, 'template');
  return { chart: new SessionChart(settings, helm), helm, template };
}

describe('SessionChart', () => {
  it('renders the chart: version, checked objects and the targets of the chart-named Services', async () => {
    const { chart } = chartFor();
    const r = await chart.render(spec());
    expect(r.chartVersion).toBe(chartVersion);
    expect(chartVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.objects).toEqual(
      expect.arrayContaining([
        'Service/dev-session-preview',
        'Service/dev-session-lb',
        'Deployment/dev-session',
        'NetworkPolicy/dev-session',
        'ResourceQuota/dev-session',
        'LimitRange/dev-session',
      ]),
    );
    expect(r.manifests).toContain(`dev-sessions.io/project-uuid: "${A}"`);
    expect(r.targets).toEqual({
      preview: { service: 'dev-session-preview', port: 3000, path: '/preview' },
      chat: { service: 'dev-session-chat', port: 3001, path: '/chat' },
      vscode: { service: 'dev-session-vscode', port: 8080, path: '/vscode' },
    });
    expect(r.values).toMatchObject({
      project: { uuid: A, id: 'p' },
      user: { id: 'user:default/jane' },
      size: 'large',
    });
    // no Ingress unless the platform configures one (with authentication in front of it)
    expect(r.objects.filter(o => o.startsWith('Ingress/'))).toEqual([]);
    expect(await chart.source()).toEqual({ kind: 'path', path: chartPath });
  });

  it.each([
    [{ size: 'small' }, 'values.size'],
    [{ project: { uuid: B } }, 'values.project.uuid'],
    [{ project: { id: 'other' } }, 'values.project.id'],
    [{ user: { id: 'user:default/mallory' } }, 'values.user.id'],
    [{ ingress: { enabled: true } }, 'values.ingress.enabled'],
    [{ ingress: { host: 'evil.example.com' } }, 'values.ingress.host'],
    [{ networkPolicy: { enabled: false } }, 'values.networkPolicy.enabled'],
    [{ quota: { enabled: false } }, 'values.quota.enabled'],
    [{ limitRange: { enabled: false } }, 'values.limitRange.enabled'],
    [{ fullnameOverride: 'kube-dns' }, 'values.fullnameOverride'],
  ])(
    'refuses %j from the request with a 400 naming %s',
    async (values, where) => {
      const { chart, template } = chartFor();
      const error = await chart.render(spec({ values })).catch(e => e);
      expect(error.name).toBe('InputError');
      expect(error.message).toMatch(
        new RegExp(
          `^Invalid ${where.replace(/\./g, '\\.')}: is set by the platform`,
        ),
      );
      expect(template).not.toHaveBeenCalled();
    },
  );

  it('sets project, user, size and the guardrails itself, over platform defaults and enforced values', async () => {
    const { chart } = chartFor({
      defaultValues: {
        project: { uuid: B, id: 'platform' },
        user: { id: 'platform' },
        size: 'small',
        ingress: { enabled: false, className: 'nginx' },
        // the platform tunes the guardrails but cannot switch them off
        networkPolicy: { enabled: false, egress: { internet: false } },
        quota: { enabled: false },
        limitRange: { enabled: false },
      },
      values: { enforced: { size: 'small', quota: { enabled: false } } },
    });
    const v = await chart.values(spec());
    expect(v).toMatchObject({
      project: { uuid: A, id: 'p' },
      user: { id: 'user:default/jane' },
      size: 'large',
      ingress: { enabled: false, className: 'nginx' },
      networkPolicy: { enabled: true, egress: { internet: false } },
      quota: { enabled: true },
      limitRange: { enabled: true },
    });
  });

  it('merges platform defaults < user values < enforced values', async () => {
    const { chart } = chartFor({
      defaultValues: {
        containers: {
          preview: { image: { tag: '18-alpine' }, env: [{ name: 'A' }] },
        },
      },
      values: {
        enforced: { containers: { chat: { image: { tag: '20-alpine' } } } },
      },
    });
    const v: any = await chart.values(
      spec({
        values: {
          containers: {
            preview: { image: { tag: '22-alpine' } },
            chat: { image: { tag: '23-alpine' } },
          },
        },
      }),
    );
    expect(v.containers.preview).toEqual({
      image: { tag: '22-alpine' },
      env: [{ name: 'A' }],
    });
    expect(v.containers.chat.image.tag).toBe('20-alpine');
  });

  it("names the value path of a schema error in the user's values", async () => {
    const { chart, template } = chartFor();
    await expect(
      chart.render(
        spec({
          values: { containers: { preview: { image: { tag: 'bad tag!' } } } },
        }),
      ),
    ).rejects.toThrow(
      /^Invalid values\.containers\.preview\.image\.tag: must match pattern/,
    );
    await expect(
      chart.values(
        spec({
          values: {
            containers: { chat: { image: { repository: 'library/Node' } } },
          },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(
        /^Invalid values\.containers\.chat\.image\.repository: must match pattern/,
      ),
    });
    expect(template).not.toHaveBeenCalled();
  });

  it('names the value path of a schema error in the platform defaults', async () => {
    await expect(
      chartFor({
        defaultValues: { service: { preview: { port: 0 } } },
      }).chart.values(spec()),
    ).rejects.toThrow('Invalid values.service.preview.port: must be >= 1');
    await expect(
      chartFor({ defaultValues: { bogus: true } }).chart.values(spec()),
    ).rejects.toThrow(
      'Invalid values: must NOT have additional properties (bogus)',
    );
  });

  it('checks the caps on the effective values', async () => {
    const { chart } = chartFor();
    await expect(
      chart.values(
        spec({
          values: {
            containers: { preview: { resources: { limits: { cpu: '10' } } } },
          },
        }),
      ),
    ).rejects.toThrow(
      /^Invalid values\.containers\.preview\.resources\.limits\.cpu: the session's cpu limits add up to 13\.2 cores, above the platform's cap of 12/,
    );
  });

  it("answers the chart's own refusals (a `fail` in its templates) with a 400 naming the rule", async () => {
    const { chart } = chartFor({
      defaultValues: { service: { chat: { port: 3000 } } },
    });
    await expect(chart.render(spec())).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(
        /^Invalid values: service\.preview\.port and service\.chat\.port are both 3000/,
      ),
    });
  });

  it('takes the names from the chart: fullnameOverride in defaultValues changes the targets', async () => {
    const { chart } = chartFor({ defaultValues: { fullnameOverride: 'ws' } });
    const r = await chart.render(spec());
    expect(r.objects).toContain('Service/ws-preview');
    expect(r.objects).not.toContain('Service/dev-session-preview');
    expect(r.targets).toEqual({
      preview: { service: 'ws-preview', port: 3000, path: '/preview' },
      chat: { service: 'ws-chat', port: 3001, path: '/chat' },
      vscode: { service: 'ws-vscode', port: 8080, path: '/vscode' },
    });
  });

  it('takes ports and paths from the chart: custom ones in defaultValues show up in the targets', async () => {
    const defaultValues = {
      service: {
        preview: { port: 4000, path: '/app' },
        vscode: { port: 9090, path: '/code' },
      },
    };
    const r = await chartFor({ defaultValues }).chart.render(spec());
    expect(r.targets.preview).toEqual({
      service: 'dev-session-preview',
      port: 4000,
      path: '/app',
    });
    expect(r.targets.vscode).toEqual({
      service: 'dev-session-vscode',
      port: 9090,
      path: '/code',
    });
    expect(r.targets.chat.port).toBe(3001);
  });

  it('refuses what the manifest check refuses, naming the object', async () => {
    const { chart } = chartFor({
      chart: {
        path: chartPath,
        // the default kinds but the networking ones
        allowedKinds: DEFAULT_ALLOWED_KINDS.filter(
          k => !k.startsWith('networking.k8s.io/'),
        ),
      },
    });
    await expect(chart.render(spec())).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(
        /^The rendered chart was refused before anything was installed: NetworkPolicy\/dev-session has kind networking\.k8s\.io\/v1\/NetworkPolicy/,
      ),
    });
  });

  it('pulls a chart reference once, and again after a failed pull', async () => {
    const { chart, helm } = chartFor({
      chart: {
        ref: 'oci://registry.example.com/charts/dev-session',
        version: '0.1.0',
      },
    });
    const pull = jest
      .spyOn(helm, 'pull')
      .mockRejectedValueOnce(new Error('helm pull exited with 1: not found'))
      .mockResolvedValue(chartPath);
    await expect(chart.render(spec())).rejects.toThrow(
      'helm pull exited with 1: not found',
    );
    expect((await chart.render(spec())).targets.chat.path).toBe('/chat');
    await chart.values(spec());
    expect(await chart.source()).toEqual({ kind: 'path', path: chartPath });
    expect(pull).toHaveBeenCalledTimes(2);
    expect(pull).toHaveBeenCalledWith({
      kind: 'ref',
      ref: 'oci://registry.example.com/charts/dev-session',
      version: '0.1.0',
      repository: undefined,
    });
  });

  it('says so when the chart directory has no Chart.yaml', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'no-chart-'));
    try {
      await expect(
        chartFor({ chart: { path: dir } }).chart.values(spec()),
      ).rejects.toThrow(`devSessions.chart: no Chart.yaml in ${dir}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
