import { Config } from '@backstage/config';
import {
  DEV_SESSION_SIZES,
  DevSessionSize,
} from '@internal/backstage-plugin-dev-sessions-common';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChartSource } from '../helm/Helm';
import { DEFAULT_ALLOWED_KINDS, ManifestCheck } from '../chart/ManifestCheck';
import { ValuesPolicy } from '../chart/ValuesPolicy';
import { randomBytes } from 'node:crypto';

/** How session links are built (devSessions.urls). */
export interface UrlSettings {
  mode: 'service' | 'ingress-path' | 'ingress-host';
  /** Host with `{projectUuid}`, for the ingress modes. */
  host?: string;
  scheme: 'http' | 'https';
}

/** The durable jobs (devSessions.jobs). */
export interface JobSettings {
  /** This replica's name in job leases. */
  replicaId: string;
  /** How long a lease lasts without a heartbeat; another replica claims the job after it. */
  leaseMs: number;
  /** How often each replica looks for jobs nobody holds. */
  pollIntervalMs: number;
  /** Jobs one replica runs at once. */
  concurrency: number;
}

/** Settings of the service, read from `devSessions` config. */
export interface DevSessionsSettings {
  /** The chart as configured (a local directory or a reference Helm pulls). */
  chart: ChartSource;
  releaseName: string;
  timeoutSeconds: number;
  defaultValues: Record<string, unknown>;
  defaultSize: DevSessionSize;
  urls: UrlSettings;
  /** What users may set in chart values, and the caps (devSessions.values). */
  policy: ValuesPolicy;
  /** The check of every rendered manifest before it is installed. */
  manifestCheck: ManifestCheck;
  jobs: JobSettings;
  /** Path of the helm binary. */
  helmBinary: string;
  reconcileIntervalSeconds: number;
}

function readChart(c: Config | undefined): ChartSource {
  const ref = c?.getOptionalString('chart.ref');
  const dir = c?.getOptionalString('chart.path');
  if (ref && dir)
    throw new Error('devSessions.chart: set either path or ref, not both');
  if (ref) {
    return {
      kind: 'ref',
      ref,
      repository: c?.getOptionalString('chart.repository'),
      version: c?.getOptionalString('chart.version'),
    };
  }
  if (!dir) {
    throw new Error(
      'devSessions.chart.path (a chart directory) or devSessions.chart.ref (a chart reference) is required',
    );
  }
  return { kind: 'path', path: path.resolve(dir) };
}

function readUrls(c: Config | undefined): UrlSettings {
  const mode = (c?.getOptionalString('urls.mode') ??
    'service') as UrlSettings['mode'];
  if (!['service', 'ingress-path', 'ingress-host'].includes(mode)) {
    throw new Error(
      `devSessions.urls.mode must be service, ingress-path or ingress-host, not "${mode}"`,
    );
  }
  const host = c?.getOptionalString('urls.host');
  if (mode !== 'service' && !host)
    throw new Error(`devSessions.urls.host is required with urls.mode ${mode}`);
  if (host !== undefined && !host.includes('{projectUuid}')) {
    throw new Error(
      `devSessions.urls.host must contain {projectUuid} so that every session gets its own host, not "${host}"`,
    );
  }
  const scheme = c?.getOptionalString('urls.scheme') ?? 'https';
  if (scheme !== 'http' && scheme !== 'https')
    throw new Error(`devSessions.urls.scheme must be http or https`);
  return { mode, host, scheme };
}

function positive(c: Config | undefined, key: string, fallback: number) {
  const v = c?.getOptionalNumber(key) ?? fallback;
  if (!(v > 0)) throw new Error(`devSessions.${key} must be a positive number`);
  return v;
}

function readJobs(c: Config | undefined): JobSettings {
  const replicaId =
    c?.getOptionalString('jobs.replicaId') ??
    `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const leaseSeconds = positive(c, 'jobs.leaseSeconds', 30);
  return {
    replicaId,
    leaseMs: leaseSeconds * 1000,
    pollIntervalMs: positive(c, 'jobs.pollIntervalSeconds', 5) * 1000,
    concurrency: Math.floor(positive(c, 'jobs.concurrency', 16)),
  };
}

function readDefaultSize(c: Config | undefined): DevSessionSize {
  const size = c?.getOptionalString('defaultSize') ?? 'medium';
  if (!(DEV_SESSION_SIZES as readonly string[]).includes(size)) {
    throw new Error(
      `devSessions.defaultSize must be one of ${DEV_SESSION_SIZES.join(
        ', ',
      )}, not "${size}"`,
    );
  }
  return size as DevSessionSize;
}

/** Reads and checks `devSessions` configuration; throws naming the key that is wrong. */
export function readSettings(config: Config): DevSessionsSettings {
  const c = config.getOptionalConfig('devSessions');
  const releaseName = c?.getOptionalString('releaseName') ?? 'dev-session';
  if (!/^[a-z]([-a-z0-9]{0,51}[a-z0-9])?$/.test(releaseName)) {
    throw new Error(
      'devSessions.releaseName must be a DNS label starting with a letter, at most 53 characters',
    );
  }
  return {
    chart: readChart(c),
    releaseName,
    timeoutSeconds: positive(c, 'helm.timeoutSeconds', 300),
    defaultValues:
      (c?.getOptional('defaultValues') as Record<string, unknown>) ?? {},
    defaultSize: readDefaultSize(c),
    urls: readUrls(c),
    policy: ValuesPolicy.fromConfig(c),
    manifestCheck: new ManifestCheck(
      c?.getOptionalStringArray('chart.allowedKinds') ?? DEFAULT_ALLOWED_KINDS,
    ),
    jobs: readJobs(c),
    helmBinary: c?.getOptionalString('helm.binary') ?? 'helm',
    reconcileIntervalSeconds: positive(c, 'reconcile.intervalSeconds', 60),
  };
}
