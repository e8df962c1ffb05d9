import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import {
  DEV_SESSION_SIZES,
  DevSessionSize,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChartSource } from '../helm/Helm';
import { DEFAULT_ALLOWED_KINDS, ManifestCheck } from '../chart/ManifestCheck';
import { ValuesPolicy } from '../chart/ValuesPolicy';
import { randomBytes } from 'node:crypto';

/** The signed-in gateway to the sessions' servers (devSessions.gateway). */
export interface GatewaySettings {
  /**
   * The origin of each role of each session, with `{role}` and `{projectUuid}` in its host, e.g.
   * `https://{role}--{projectUuid}.sessions.example.com`. Undefined: the default,
   * `http://{role}--{projectUuid}.localhost:<listen port>`, known once the gateway listens.
   */
  origin?: string;
  listen: { host?: string; port: number };
  /** How long a sign-in on a session's origin lasts (the browser re-checks through Backstage after). */
  cookieTtlMs: number;
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

/** Idle stop, expiry and orphan clean-up (devSessions.lifecycle). Times in milliseconds. */
export interface LifecycleSettings {
  /** A running session unused this long is stopped; undefined: never (the default). */
  idleStopAfterMs?: number;
  /** A session unused this long is deleted. Default 365 days. */
  expireAfterMs: number;
  /** A stopped session unused this long is deleted; undefined: only `expireAfterMs`. */
  deleteStoppedAfterMs?: number;
  /** The owner is told this long before the deletion (and the deletion waits for it). Default 7 days. */
  notifyBeforeMs: number;
  /** Whether orphan namespaces are deleted after `orphanGracePeriodMs` (default: only reported). */
  deleteOrphans: boolean;
  orphanGracePeriodMs: number;
  /** How often one replica sweeps for idle, expired and orphaned sessions. Default 1 minute. */
  sweepIntervalMs: number;
  /**
   * The plugin's base URL as session pods reach it, for their heartbeat; undefined: the
   * backend's external base URL.
   */
  activityBaseUrl?: string;
}

/** Settings of the service, read from `devSessions` config. */
export interface DevSessionsSettings {
  /** The chart as configured (a local directory or a reference Helm pulls). */
  chart: ChartSource;
  releaseName: string;
  timeoutSeconds: number;
  defaultValues: Record<string, unknown>;
  defaultSize: DevSessionSize;
  gateway: GatewaySettings;
  /** What users may set in chart values, and the caps (devSessions.values). */
  policy: ValuesPolicy;
  /** The check of every rendered manifest before it is installed. */
  manifestCheck: ManifestCheck;
  jobs: JobSettings;
  /** Path of the helm binary. */
  helmBinary: string;
  reconcileIntervalSeconds: number;
  /** Status from cluster-wide watches (devSessions.statusCache). */
  statusCache: { enabled: boolean; resyncSeconds: number };
  /** Per-owner limits (devSessions.limits); unset: none. */
  limits: { maxSessionsPerOwner?: number; maxRunningPerOwner?: number };
  lifecycle: LifecycleSettings;
  /** This installation's name, a label of its namespaces (devSessions.instance). */
  instance: string;
}

/** A duration of devSessions config (`{ minutes: 30 }` or ISO 8601 `PT30M`), in ms. */
function duration(
  c: Config | undefined,
  key: string,
  fallbackMs?: number,
  allowZero = false,
): number | undefined {
  if (!c?.has(key)) return fallbackMs;
  let ms: number;
  try {
    ms = durationToMilliseconds(readDurationFromConfig(c, { key }));
  } catch (e) {
    throw new Error(
      `devSessions.${key} must be a duration such as { minutes: 30 } or PT30M: ${
        (e as Error).message
      }`,
    );
  }
  if (!(ms > 0 || (allowZero && ms === 0)))
    throw new Error(`devSessions.${key} must be a positive duration`);
  return ms;
}

const DAY_MS = 24 * 3600_000;

function readInstance(c: Config | undefined): string {
  const instance = c?.getOptionalString('instance') ?? 'default';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(instance))
    throw new Error(
      'devSessions.instance must be a DNS label (lower-case letters, digits and -, at most 63 characters)',
    );
  return instance;
}

function readLifecycle(c: Config | undefined): LifecycleSettings {
  const activityBaseUrl = c?.getOptionalString('lifecycle.activityBaseUrl');
  if (
    activityBaseUrl !== undefined &&
    !/^https?:\/\/[^\s]+$/.test(activityBaseUrl)
  )
    throw new Error(
      'devSessions.lifecycle.activityBaseUrl must be an http(s) URL',
    );
  return {
    idleStopAfterMs: duration(c, 'lifecycle.idleStopAfter'),
    expireAfterMs: duration(c, 'lifecycle.expireAfter', 365 * DAY_MS)!,
    deleteStoppedAfterMs: duration(c, 'lifecycle.deleteStoppedAfter'),
    notifyBeforeMs: duration(c, 'lifecycle.notifyBefore', 7 * DAY_MS, true)!,
    deleteOrphans: c?.getOptionalBoolean('lifecycle.deleteOrphans') ?? false,
    orphanGracePeriodMs: duration(c, 'lifecycle.orphanGracePeriod', 3600_000)!,
    sweepIntervalMs: duration(c, 'lifecycle.sweepInterval', 60_000)!,
    activityBaseUrl: activityBaseUrl?.replace(/\/$/, ''),
  };
}

function readChart(
  c: Config | undefined,
  bundledChart: string | undefined,
): ChartSource {
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
    // the package from npm carries the chart it was released with
    if (bundledChart) return { kind: 'path', path: bundledChart };
    throw new Error(
      'devSessions.chart.path (a chart directory) or devSessions.chart.ref (a chart reference) is required',
    );
  }
  return { kind: 'path', path: path.resolve(dir) };
}

/** Checks an origin pattern: one `{role}` and one `{projectUuid}` in the host, nothing after it. */
export function checkOriginPattern(origin: string): void {
  const m = /^(https?):\/\/([^/:]+)(:\d+)?\/?$/.exec(origin);
  const host = m?.[2] ?? '';
  if (
    !m ||
    host.split('{role}').length !== 2 ||
    host.split('{projectUuid}').length !== 2
  ) {
    throw new Error(
      `devSessions.gateway.origin must be an http(s) origin whose host holds {role} and {projectUuid} once each (so every role of every session is its own origin), for example https://{role}--{projectUuid}.sessions.example.com; not "${origin}"`,
    );
  }
}

function readGateway(c: Config | undefined): GatewaySettings {
  if (c?.has('urls')) {
    throw new Error(
      'devSessions.urls is gone: links always go through the signed-in gateway; configure devSessions.gateway instead',
    );
  }
  const origin = c?.getOptionalString('gateway.origin');
  if (origin !== undefined) checkOriginPattern(origin);
  const port = c?.getOptionalNumber('gateway.listen.port') ?? 7008;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error('devSessions.gateway.listen.port must be a port number');
  return {
    origin: origin?.replace(/\/$/, ''),
    listen: { host: c?.getOptionalString('gateway.listen.host'), port },
    cookieTtlMs: positive(c, 'gateway.cookieTtlMinutes', 480) * 60_000,
  };
}

function optionalCount(c: Config | undefined, key: string) {
  const v = c?.getOptionalNumber(key);
  if (v !== undefined && !(Number.isInteger(v) && v >= 1))
    throw new Error(`devSessions.${key} must be a whole number of 1 or more`);
  return v;
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

/**
 * Reads and checks `devSessions` configuration; throws naming the key that is wrong.
 * `bundledChart`: the chart directory shipped in this package, used when no chart is configured.
 */
export function readSettings(
  config: Config,
  opts: { bundledChart?: string } = {},
): DevSessionsSettings {
  const c = config.getOptionalConfig('devSessions');
  const releaseName = c?.getOptionalString('releaseName') ?? 'dev-session';
  if (!/^[a-z]([-a-z0-9]{0,51}[a-z0-9])?$/.test(releaseName)) {
    throw new Error(
      'devSessions.releaseName must be a DNS label starting with a letter, at most 53 characters',
    );
  }
  return {
    chart: readChart(c, opts.bundledChart),
    releaseName,
    timeoutSeconds: positive(c, 'helm.timeoutSeconds', 300),
    defaultValues:
      (c?.getOptional('defaultValues') as Record<string, unknown>) ?? {},
    defaultSize: readDefaultSize(c),
    gateway: readGateway(c),
    policy: ValuesPolicy.fromConfig(c),
    manifestCheck: new ManifestCheck(
      c?.getOptionalStringArray('chart.allowedKinds') ?? DEFAULT_ALLOWED_KINDS,
    ),
    jobs: readJobs(c),
    helmBinary: c?.getOptionalString('helm.binary') ?? 'helm',
    reconcileIntervalSeconds: positive(c, 'reconcile.intervalSeconds', 60),
    statusCache: {
      enabled: c?.getOptionalBoolean('statusCache.enabled') ?? true,
      resyncSeconds: positive(c, 'statusCache.resyncSeconds', 600),
    },
    limits: {
      maxSessionsPerOwner: optionalCount(c, 'limits.maxSessionsPerOwner'),
      maxRunningPerOwner: optionalCount(c, 'limits.maxRunningPerOwner'),
    },
    lifecycle: readLifecycle(c),
    instance: readInstance(c),
  };
}
