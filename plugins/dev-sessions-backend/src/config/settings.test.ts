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

    it('uses the chart bundled in the package when none is configured', () => {
      const bundled = '/app/node_modules/pkg/chart';
      expect(
        readSettings(new ConfigReader({}), { bundledChart: bundled }).chart,
      ).toEqual({ kind: 'path', path: bundled });
      // a configured chart wins
      expect(
        readSettings(new ConfigReader({ devSessions: { chart } }), {
          bundledChart: bundled,
        }).chart,
      ).toEqual({ kind: 'path', path: '/charts/dev-session' });
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

  describe('limits', () => {
    it('reads the per-owner limits, none by default, and refuses what is not a count', () => {
      expect(read({ chart }).limits).toEqual({
        maxSessionsPerOwner: undefined,
        maxRunningPerOwner: undefined,
      });
      expect(
        read({
          chart,
          limits: { maxSessionsPerOwner: 5, maxRunningPerOwner: 2 },
        }).limits,
      ).toEqual({ maxSessionsPerOwner: 5, maxRunningPerOwner: 2 });
      for (const bad of [0, 1.5, -1])
        expect(() =>
          read({ chart, limits: { maxRunningPerOwner: bad } }),
        ).toThrow(
          'devSessions.limits.maxRunningPerOwner must be a whole number of 1 or more',
        );
    });
  });

  describe('gateway', () => {
    it('defaults to port 7008 with the origin known once it listens, and 8-hour sign-ins', () => {
      expect(read({ chart }).gateway).toEqual({
        origin: undefined,
        listen: { host: undefined, port: 7008 },
        cookieTtlMs: 8 * 3600_000,
      });
    });

    it('reads an origin pattern with {role} and {projectUuid} in the host', () => {
      const g = read({
        chart,
        gateway: {
          origin: 'https://{role}--{projectUuid}.sessions.example.com/',
          listen: { host: '0.0.0.0', port: 0 },
          cookieTtlMinutes: 60,
        },
      }).gateway;
      expect(g).toEqual({
        origin: 'https://{role}--{projectUuid}.sessions.example.com',
        listen: { host: '0.0.0.0', port: 0 },
        cookieTtlMs: 3600_000,
      });
    });

    it.each([
      'https://sessions.example.com',
      'https://{projectUuid}.sessions.example.com',
      'https://sessions.example.com/{role}/{projectUuid}',
      'ftp://{role}--{projectUuid}.example.com',
      'https://{role}--{projectUuid}.example.com/path',
    ])(
      'refuses the origin %s: every role of every session needs its own origin',
      origin => {
        expect(() => read({ chart, gateway: { origin } })).toThrow(
          /devSessions\.gateway\.origin must be an http\(s\) origin whose host holds \{role\} and \{projectUuid\} once each/,
        );
      },
    );

    it('refuses a bad port and the old urls block, naming the key', () => {
      expect(() =>
        read({ chart, gateway: { listen: { port: 70000 } } }),
      ).toThrow('devSessions.gateway.listen.port must be a port number');
      expect(() => read({ chart, urls: { mode: 'service' } })).toThrow(
        /devSessions\.urls is gone: links always go through the signed-in gateway/,
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

  it('reads the lifecycle: always-on by default, a year to expiry, a week of notice', () => {
    expect(read({ chart }).lifecycle).toEqual({
      idleStopAfterMs: undefined,
      expireAfterMs: 365 * 24 * 3600_000,
      deleteStoppedAfterMs: undefined,
      notifyBeforeMs: 7 * 24 * 3600_000,
      deleteOrphans: false,
      orphanGracePeriodMs: 3600_000,
      sweepIntervalMs: 60_000,
      activityBaseUrl: undefined,
    });
    const l = read({
      chart,
      lifecycle: {
        idleStopAfter: { minutes: 30 },
        expireAfter: 'P90D',
        deleteStoppedAfter: { days: 30 },
        notifyBefore: { seconds: 0 },
        deleteOrphans: true,
        orphanGracePeriod: 'PT2H',
        sweepInterval: { seconds: 5 },
        activityBaseUrl:
          'http://backstage.dev-sessions-system:7007/api/dev-sessions/',
      },
    }).lifecycle;
    expect(l).toEqual({
      idleStopAfterMs: 30 * 60_000,
      expireAfterMs: 90 * 24 * 3600_000,
      deleteStoppedAfterMs: 30 * 24 * 3600_000,
      notifyBeforeMs: 0,
      deleteOrphans: true,
      orphanGracePeriodMs: 2 * 3600_000,
      sweepIntervalMs: 5000,
      activityBaseUrl:
        'http://backstage.dev-sessions-system:7007/api/dev-sessions',
    });
  });

  it.each([
    [
      { idleStopAfter: 'soon' },
      /devSessions.lifecycle.idleStopAfter must be a duration/,
    ],
    [
      { expireAfter: { minutes: 0 } },
      /lifecycle.expireAfter must be a positive duration/,
    ],
    [
      { activityBaseUrl: 'backstage:7007' },
      /activityBaseUrl must be an http\(s\) URL/,
    ],
  ])('refuses the lifecycle %p', (lifecycle, message) => {
    expect(() => read({ chart, lifecycle })).toThrow(message);
  });
});
