import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSettings } from './settings';

const chart = { path: '/charts/dev-session' };
const read = (devSessions: JsonObject) =>
  readSettings(new ConfigReader({ devSessions }));

describe('readSettings', () => {
  describe('chart', () => {
    it('requires chart.path or chart.ref, with a clear error', () => {
      const error =
        'devSessions.chart.path (a chart directory) or devSessions.chart.ref (a chart reference) is required';
      expect(() => readSettings(new ConfigReader({}))).toThrow(error);
      expect(() => read({})).toThrow(error);
      expect(() => read({ chart: { version: '1.0.0' } })).toThrow(error);
    });

    it('refuses both path and ref', () => {
      expect(() =>
        read({ chart: { path: '/c', ref: 'oci://registry/dev-session' } }),
      ).toThrow('devSessions.chart: set either path or ref, not both');
    });

    it('resolves a relative path against the working directory', () => {
      const s = read({ chart: { path: 'charts/dev-session' } });
      expect(s.chart).toEqual({
        kind: 'path',
        path: path.resolve(process.cwd(), 'charts/dev-session'),
      });
      expect(path.isAbsolute((s.chart as { path: string }).path)).toBe(true);
      expect(read({ chart: { path: '/abs/chart/../dir' } }).chart).toEqual({
        kind: 'path',
        path: '/abs/dir',
      });
    });

    it('reads a reference with its repository and version', () => {
      expect(
        read({
          chart: {
            ref: 'dev-session',
            repository: 'https://charts.example.com',
            version: '1.2.3',
          },
        }).chart,
      ).toEqual({
        kind: 'ref',
        ref: 'dev-session',
        repository: 'https://charts.example.com',
        version: '1.2.3',
      });
      expect(read({ chart: { ref: 'oci://r/dev-session' } }).chart).toEqual({
        kind: 'ref',
        ref: 'oci://r/dev-session',
        repository: undefined,
        version: undefined,
      });
    });
  });

  describe('urls', () => {
    it('defaults to service mode over https', () => {
      expect(read({ chart }).urls).toEqual({
        mode: 'service',
        host: undefined,
        scheme: 'https',
      });
    });

    it('reads the ingress modes with a host holding {projectUuid}', () => {
      for (const mode of ['ingress-path', 'ingress-host']) {
        expect(
          read({
            chart,
            urls: {
              mode,
              host: '{projectUuid}.dev.example.com',
              scheme: 'http',
            },
          }).urls,
        ).toEqual({
          mode,
          host: '{projectUuid}.dev.example.com',
          scheme: 'http',
        });
      }
    });

    it('refuses an unknown mode', () => {
      expect(() => read({ chart, urls: { mode: 'nodeport' } })).toThrow(
        'devSessions.urls.mode must be service, ingress-path or ingress-host, not "nodeport"',
      );
    });

    it('requires a host in the ingress modes', () => {
      expect(() => read({ chart, urls: { mode: 'ingress-path' } })).toThrow(
        'devSessions.urls.host is required with urls.mode ingress-path',
      );
      expect(() => read({ chart, urls: { mode: 'ingress-host' } })).toThrow(
        'devSessions.urls.host is required with urls.mode ingress-host',
      );
    });

    it('requires {projectUuid} in the host, in every mode', () => {
      expect(() =>
        read({
          chart,
          urls: { mode: 'ingress-host', host: 'dev.example.com' },
        }),
      ).toThrow(
        /devSessions\.urls\.host must contain \{projectUuid\}.*"dev\.example\.com"/,
      );
      expect(() =>
        read({ chart, urls: { mode: 'service', host: 'dev.example.com' } }),
      ).toThrow(/devSessions\.urls\.host must contain \{projectUuid\}/);
    });

    it('accepts only http and https', () => {
      expect(() => read({ chart, urls: { scheme: 'ftp' } })).toThrow(
        'devSessions.urls.scheme must be http or https',
      );
    });
  });

  describe('jobs', () => {
    it('has defaults: 30 s lease, 5 s poll, 16 at once, a replica id unique per process', () => {
      const a = read({ chart }).jobs;
      expect(a).toMatchObject({
        leaseMs: 30_000,
        pollIntervalMs: 5_000,
        concurrency: 16,
      });
      expect(a.replicaId.startsWith(`${os.hostname()}-${process.pid}-`)).toBe(
        true,
      );
      // two backends in one process (tests, or a restart in place) never share a replica id
      expect(read({ chart }).jobs.replicaId).not.toBe(a.replicaId);
    });

    it('reads configured values, in seconds', () => {
      expect(
        read({
          chart,
          jobs: {
            replicaId: 'backstage-0',
            leaseSeconds: 1.5,
            pollIntervalSeconds: 2,
            concurrency: 4,
          },
        }).jobs,
      ).toEqual({
        replicaId: 'backstage-0',
        leaseMs: 1500,
        pollIntervalMs: 2000,
        concurrency: 4,
      });
    });

    it.each([
      ['jobs.leaseSeconds', { jobs: { leaseSeconds: 0 } }],
      ['jobs.pollIntervalSeconds', { jobs: { pollIntervalSeconds: -1 } }],
      ['jobs.concurrency', { jobs: { concurrency: 0 } }],
      ['helm.timeoutSeconds', { helm: { timeoutSeconds: -5 } }],
      ['reconcile.intervalSeconds', { reconcile: { intervalSeconds: 0 } }],
    ])('refuses a %s that is not positive', (key, extra) => {
      expect(() => read({ chart, ...extra })).toThrow(
        `devSessions.${key} must be a positive number`,
      );
    });
  });

  it('has defaults for the rest', () => {
    const s = read({ chart });
    expect(s).toMatchObject({
      releaseName: 'dev-session',
      timeoutSeconds: 300,
      defaultValues: {},
      defaultSize: 'medium',
      helmBinary: 'helm',
      reconcileIntervalSeconds: 60,
    });
    expect(s.policy.enforced).toEqual({});
  });

  it('reads the release name, helm, default values and the values policy', () => {
    const s = read({
      chart: { ...chart, allowedKinds: ['v1/Service'] },
      releaseName: 'ws',
      helm: { binary: '/opt/helm', timeoutSeconds: 90 },
      defaultSize: 'large',
      defaultValues: {
        fullnameOverride: 'ws',
        service: { preview: { port: 4000 } },
      },
      values: {
        enforced: { podLabels: { team: 'a' } },
        allowedImageRegistries: ['ghcr.io'],
      },
    });
    expect(s).toMatchObject({
      releaseName: 'ws',
      helmBinary: '/opt/helm',
      timeoutSeconds: 90,
      defaultSize: 'large',
      defaultValues: {
        fullnameOverride: 'ws',
        service: { preview: { port: 4000 } },
      },
    });
    expect(s.policy.enforced).toEqual({ podLabels: { team: 'a' } });
    expect(s.policy.imageRegistries).toEqual(['ghcr.io']);
    const ns = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
    const labels = { 'dev-sessions.io/project-uuid': ns };
    expect(() =>
      s.manifestCheck.checkObjects(
        [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels } }],
        { namespace: ns, projectUuid: ns },
      ),
    ).toThrow(
      /has kind v1\/Pod, which a dev session may not create \(allowed: v1\/Service\)/,
    );
  });

  it.each(['Dev-Session', '1session', 'a'.repeat(54), 'session-'])(
    'refuses the release name %p',
    releaseName => {
      expect(() => read({ chart, releaseName })).toThrow(
        'devSessions.releaseName must be a DNS label starting with a letter, at most 53 characters',
      );
    },
  );
});
