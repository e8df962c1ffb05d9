import { LoggerService } from '@backstage/backend-plugin-api';
import { LABEL_DEV_SESSION_PROJECT_UUID } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import * as k8s from '@kubernetes/client-node';
import {
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  MANAGED_BY,
} from '../cluster/ownership';
import { PodSnapshot, toPodSnapshot } from '../cluster/podSnapshot';
import { WatchCache } from './WatchCache';

/** Options of a {@link StatusCache}. */
export interface StatusCacheOptions {
  kc: k8s.KubeConfig;
  logger: LoggerService;
  /** This installation's name (devSessions.instance): whose namespaces are watched. */
  instance: string;
  /** A full list again every so often. Default 10 minutes. */
  resyncMs?: number;
  /** Reconnect backoff. Default 250 ms … 30 s. */
  backoffMs?: { min: number; max: number };
  /** The API server ends each watch after this and it is resumed. Default 300 s. */
  watchTimeoutSeconds?: number;
}

/**
 * The live part of every session's status from three cluster-wide watches instead of two API
 * calls per request: this installation's namespaces (by label), the session pods in them (by
 * label) and the events of those namespaces (events carry no labels: the watch sees all and
 * keeps only ours). A request reads memory; while the cache is not synced (starting, or
 * reconnecting after the API server went away) `snapshot` returns undefined and the caller
 * reads the cluster directly.
 */
export class StatusCache {
  readonly namespaces: WatchCache<k8s.V1Namespace>;
  readonly pods: WatchCache<k8s.V1Pod>;
  readonly events: WatchCache<k8s.CoreV1Event>;
  private readonly ours = new Set<string>();
  private running = false;
  /** Called after every change of a pod (waiters for readiness). */
  private readonly podListeners = new Set<() => void>();

  constructor(opts: StatusCacheOptions) {
    const core = opts.kc.makeApiClient(k8s.CoreV1Api);
    const common = {
      kc: opts.kc,
      logger: opts.logger,
      resyncMs: opts.resyncMs,
      backoffMs: opts.backoffMs,
      watchTimeoutSeconds: opts.watchTimeoutSeconds,
    };
    this.namespaces = new WatchCache<k8s.V1Namespace>({
      ...common,
      name: 'namespaces',
      path: '/api/v1/namespaces',
      labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_INSTANCE}=${opts.instance}`,
      list: p => core.listNamespace(p),
      onChange: () => this.refreshOurs(),
    });
    this.pods = new WatchCache<k8s.V1Pod>({
      ...common,
      name: 'pods',
      path: '/api/v1/pods',
      labelSelector: `app.kubernetes.io/component=session,${LABEL_DEV_SESSION_PROJECT_UUID}`,
      list: p => core.listPodForAllNamespaces(p),
      onChange: () => {
        for (const l of [...this.podListeners]) l();
      },
    });
    this.events = new WatchCache<k8s.CoreV1Event>({
      ...common,
      name: 'events',
      path: '/api/v1/events',
      keep: e => this.ours.has(e.metadata?.namespace ?? ''),
      list: p => core.listEventForAllNamespaces(p),
    });
  }

  private refreshOurs() {
    this.ours.clear();
    for (const ns of this.namespaces.all()) this.ours.add(ns.metadata!.name!);
    // events only once the namespaces are known, so none of ours is dropped
    if (this.running && this.namespaces.synced) this.events.start();
  }

  /** Starts the watches; returns at once (see `synced` and `waitForSync`). */
  start(): void {
    this.running = true;
    this.namespaces.start();
    this.pods.start();
  }

  stop(): void {
    this.running = false;
    this.namespaces.stop();
    this.pods.stop();
    this.events.stop();
  }

  /** Lists, watches and errors of the three watches together. */
  get stats(): { lists: number; watches: number; errors: number } {
    const all = [this.namespaces, this.pods, this.events].map(c => c.stats);
    return {
      lists: all.reduce((n, x) => n + x.lists, 0),
      watches: all.reduce((n, x) => n + x.watches, 0),
      errors: all.reduce((n, x) => n + x.errors, 0),
    };
  }

  /** True while all three watches follow the cluster. */
  get synced(): boolean {
    return this.namespaces.synced && this.pods.synced && this.events.synced;
  }

  async waitForSync(timeoutMs: number): Promise<boolean> {
    const results = await Promise.all(
      [this.namespaces, this.pods, this.events].map(c =>
        c.waitForSync(timeoutMs),
      ),
    );
    return results.every(Boolean) && this.synced;
  }

  /**
   * The session's pod snapshot from memory; undefined when not synced or when the namespace is
   * not one of this installation's (gone, or never labelled): then read the cluster instead.
   */
  snapshot(namespace: string, projectUuid: string): PodSnapshot | undefined {
    if (!this.synced || !this.ours.has(namespace)) return undefined;
    return toPodSnapshot(
      this.sessionPods(namespace, projectUuid),
      this.events.inNamespace(namespace),
    );
  }

  private sessionPods(namespace: string, projectUuid: string) {
    return this.pods
      .inNamespace(namespace)
      .filter(
        p =>
          p.metadata?.labels?.[LABEL_DEV_SESSION_PROJECT_UUID] === projectUuid,
      );
  }

  /**
   * Resolves when the session's newest pod is Ready with every container ready, as the watch
   * sees it (no polling). Rejects after `timeoutMs` saying what is not ready, when `signal`
   * aborts, or at once when the cache is not synced (the caller then polls the cluster).
   */
  waitForReady(
    namespace: string,
    projectUuid: string,
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<void> {
    const ready = () => {
      // the pods' watch alone (by label, whatever the namespace's labels say)
      const snap = toPodSnapshot(this.sessionPods(namespace, projectUuid), []);
      const podReady = snap.pod?.conditions.some(
        c => c.type === 'Ready' && c.status === 'True',
      );
      const waiting = snap.containers.filter(c => !c.ready);
      if (snap.pod && podReady && snap.containers.length && !waiting.length)
        return { done: true, why: '' };
      const why = snap.pod
        ? `pod ${snap.pod.name} ${snap.pod.phase}${waiting
            .map(c => `, container ${c.name}: ${c.reason ?? c.state}`)
            .join('')}`
        : 'no pod yet';
      return { done: false, why };
    };
    if (!this.pods.synced)
      return Promise.reject(new Error('status cache not synced'));
    return new Promise<void>((resolve, reject) => {
      let last = ready();
      let timer: NodeJS.Timeout | undefined = undefined;
      const on: { change?: () => void; abort?: () => void } = {};
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.podListeners.delete(on.change!);
        opts.signal?.removeEventListener('abort', on.abort!);
        if (err) reject(err);
        else resolve();
      };
      on.change = () => {
        last = ready();
        if (last.done) finish();
      };
      on.abort = () => finish(new Error('aborted'));
      timer = setTimeout(
        () =>
          finish(
            new Error(
              `timed out after ${Math.round(opts.timeoutMs / 1000)} s (${
                last.why
              })`,
            ),
          ),
        opts.timeoutMs,
      );
      if (opts.signal?.aborted) {
        on.abort();
        return;
      }
      opts.signal?.addEventListener('abort', on.abort);
      this.podListeners.add(on.change);
      on.change();
    });
  }
}
