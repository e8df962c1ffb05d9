import { LoggerService } from '@backstage/backend-plugin-api';
import * as k8s from '@kubernetes/client-node';

/** What a list call returns: the items and the resource version to watch from. */
export interface ListPage<T> {
  items: T[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/** Options of a {@link WatchCache}. */
export interface WatchCacheOptions<T> {
  /** A name for logs, e.g. "pods". */
  name: string;
  kc: k8s.KubeConfig;
  /** The watch path, cluster-wide, e.g. `/api/v1/pods`. */
  path: string;
  /** One page of the cluster-wide list (the same selectors as the watch). */
  list: (page: {
    labelSelector?: string;
    fieldSelector?: string;
    limit: number;
    _continue?: string;
  }) => Promise<ListPage<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Objects this cache keeps; others are dropped as they arrive. Default: all. */
  keep?: (obj: T) => boolean;
  logger: LoggerService;
  /** A full list again every so often (missed or dropped objects come back). Default 10 min. */
  resyncMs?: number;
  /** The API server ends each watch after this; it is then resumed. Default 300 s. */
  watchTimeoutSeconds?: number;
  /** Reconnect backoff after errors, doubling from `min` to `max`. Default 250 ms … 30 s. */
  backoffMs?: { min: number; max: number };
  /** Called after every change (for tests and waiters). */
  onChange?: () => void;
}

type Meta = { metadata?: k8s.V1ObjectMeta };

const key = (o: Meta) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

/**
 * One cluster-wide list + watch of a kind of object, kept in memory by namespace: what an
 * informer does, with a readiness signal, periodic resync, resumption from the last resource
 * version after the watch ends, a fresh list when that version is too old (410 Gone), and
 * reconnection with backoff after errors (the API server restarting, say). `synced` is true
 * only while the cache is known to follow the cluster: after an error it is false until the
 * next list or watch is established, so readers can fall back to direct reads.
 */
export class WatchCache<T extends Meta> {
  private readonly byNamespace = new Map<string, Map<string, T>>();
  private resourceVersion: string | undefined;
  private running = false;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private lastList = 0;
  private isSynced = false;
  private readonly syncWaiters = new Set<() => void>();
  /** Counters: full lists, watches started, errors; the last error's message. */
  readonly stats = {
    lists: 0,
    watches: 0,
    errors: 0,
    lastError: undefined as string | undefined,
  };

  constructor(private readonly opts: WatchCacheOptions<T>) {}

  get synced(): boolean {
    return this.isSynced;
  }

  /** Number of objects held. */
  get size(): number {
    let n = 0;
    for (const m of this.byNamespace.values()) n += m.size;
    return n;
  }

  /** The objects of one namespace (empty when none). */
  inNamespace(namespace: string): T[] {
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  /** Whether any object of this namespace is held. */
  hasNamespace(namespace: string): boolean {
    return (this.byNamespace.get(namespace)?.size ?? 0) > 0;
  }

  /** Every object held (cluster-scoped kinds live under the namespace ""). */
  all(): T[] {
    return [...this.byNamespace.values()].flatMap(m => [...m.values()]);
  }

  /** Starts listing and watching in the background; returns at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
    this.setSynced(false);
    this.abort?.abort();
    this.wake?.();
  }

  /** Resolves true once synced, false after `timeoutMs` without. */
  waitForSync(timeoutMs: number): Promise<boolean> {
    if (this.isSynced) return Promise.resolve(true);
    return new Promise(resolve => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const waiter = () => {
        clearTimeout(timer);
        this.syncWaiters.delete(waiter);
        resolve(true);
      };
      timer = setTimeout(() => {
        this.syncWaiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.syncWaiters.add(waiter);
    });
  }

  private setSynced(v: boolean) {
    this.isSynced = v;
    if (v) for (const w of [...this.syncWaiters]) w();
  }

  private async loop() {
    const backoff = this.opts.backoffMs ?? { min: 250, max: 30_000 };
    const resyncMs = this.opts.resyncMs ?? 600_000;
    let delay = backoff.min;
    while (this.running) {
      try {
        if (!this.resourceVersion || Date.now() - this.lastList > resyncMs)
          await this.relist();
        if (!this.running) break;
        await this.watchOnce();
        delay = backoff.min;
      } catch (e) {
        if (!this.running) break;
        this.setSynced(false);
        this.stats.errors++;
        const message = (e as Error)?.message ?? String(e);
        if (this.stats.lastError !== message)
          this.opts.logger.warn(
            `dev-sessions status cache (${this.opts.name}): ${message}; retrying in ${delay} ms`,
          );
        this.stats.lastError = message;
        await this.sleep(delay);
        delay = Math.min(delay * 2, backoff.max);
      }
    }
  }

  private sleep(ms: number) {
    return new Promise<void>(resolve => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async relist() {
    const { labelSelector, fieldSelector } = this.opts;
    const fresh = new Map<string, Map<string, T>>();
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.opts.list({
        labelSelector,
        fieldSelector,
        limit: 500,
        _continue: cont,
      });
      for (const o of page.items) {
        if (this.opts.keep && !this.opts.keep(o)) continue;
        const ns = o.metadata?.namespace ?? '';
        let m = fresh.get(ns);
        if (!m) fresh.set(ns, (m = new Map()));
        m.set(key(o), slim(o));
      }
      rv = page.metadata?.resourceVersion;
      cont = page.metadata?._continue || undefined;
    } while (cont);
    this.byNamespace.clear();
    for (const [ns, m] of fresh) this.byNamespace.set(ns, m);
    this.resourceVersion = rv;
    this.lastList = Date.now();
    this.stats.lists++;
    this.setSynced(true);
    this.opts.onChange?.();
  }

  /** One watch from the current resource version; resolves when it ends normally. */
  private watchOnce(): Promise<void> {
    const { labelSelector, fieldSelector } = this.opts;
    return new Promise<void>((resolve, reject) => {
      let failed: Error | undefined;
      const resync = setTimeout(
        () => this.abort?.abort(),
        Math.max(
          0,
          (this.opts.resyncMs ?? 600_000) - (Date.now() - this.lastList),
        ),
      );
      const done = (err: unknown) => {
        clearTimeout(resync);
        const e = failed ?? (err as Error | null);
        // an abort is ours (stop or resync); anything else is an error to back off from
        if (e && (e as Error).name !== 'AbortError') reject(e);
        else resolve();
      };
      this.stats.watches++;
      new k8s.Watch(this.opts.kc)
        .watch(
          this.opts.path,
          {
            labelSelector,
            fieldSelector,
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
          },
          (type: string, obj: any) => {
            if (type === 'ERROR') {
              // 410 Gone: the version we resume from is too old; list again
              if (obj?.code === 410) this.resourceVersion = undefined;
              failed = new Error(
                `watch error ${obj?.code ?? ''}: ${obj?.message ?? 'unknown'}`,
              );
              this.abort?.abort();
              return;
            }
            this.apply(type, obj as T);
          },
          done,
        )
        .then(controller => {
          this.abort = controller;
          // the watch answered 200 (or done was already called with its error)
          if (failed || !this.running) controller.abort();
          else if (!controller.signal.aborted) this.setSynced(true);
        }, reject);
    });
  }

  private apply(type: string, obj: T) {
    const rv = obj?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (type === 'BOOKMARK') return;
    const ns = obj.metadata?.namespace ?? '';
    const k = key(obj);
    if (type === 'DELETED' || (this.opts.keep && !this.opts.keep(obj))) {
      const m = this.byNamespace.get(ns);
      m?.delete(k);
      if (m && m.size === 0) this.byNamespace.delete(ns);
    } else {
      let m = this.byNamespace.get(ns);
      if (!m) this.byNamespace.set(ns, (m = new Map()));
      m.set(k, slim(obj));
    }
    this.opts.onChange?.();
  }
}

/** Drops what no reader needs and costs the most memory (managed fields). */
function slim<T extends Meta>(o: T): T {
  if (o.metadata?.managedFields) delete o.metadata.managedFields;
  return o;
}
