/*
 * Reading the helm wrapper's log (helm-wrapper.cjs) and finding mutating Helm operations on one
 * release that overlapped in time.
 */
import * as fs from 'node:fs';

/** Sub-commands that change a release. template, status, list, get, history only read. */
export const MUTATING = new Set([
  'upgrade',
  'install',
  'uninstall',
  'delete',
  'rollback',
]);

/** One helm run seen by the wrapper. */
export interface HelmOp {
  id: string;
  pid: number;
  replica: string | null;
  sub?: string;
  release?: string;
  namespace?: string;
  args?: string[];
  /** the wrapper started */
  start: number;
  /** the real helm was spawned (absent: the wrapper died before, helm never ran) */
  exec?: number;
  /** helm exited (absent: killed with its replica, or still running) */
  end?: number;
  exitCode?: number | null;
  signal?: string | null;
}

/** Folds the wrapper's start/exec/end lines into one record per helm run, in start order. */
export function readHelmOps(file: string): HelmOp[] {
  if (!fs.existsSync(file)) return [];
  const byId = new Map<string, HelmOp>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: any;
    try {
      r = JSON.parse(line);
    } catch {
      continue; // a line cut short by a kill in the middle of a write
    }
    const op: HelmOp = byId.get(r.id) ?? {
      id: r.id,
      pid: r.pid,
      replica: r.replica,
      sub: r.sub,
      release: r.release,
      namespace: r.namespace,
      start: r.start ?? r.exec ?? r.end,
    };
    if (r.event === 'start') {
      op.start = r.start;
      op.args = r.args;
    } else if (r.event === 'exec') op.exec = r.exec;
    else if (r.event === 'end') {
      op.end = r.end;
      op.exitCode = r.exitCode;
      op.signal = r.signal;
    }
    byId.set(r.id, op);
  }
  return [...byId.values()].sort((a, b) => a.start - b.start);
}

/** A mutating helm run as a time interval: from spawning helm to its exit (or its death). */
export interface HelmInterval {
  op: HelmOp;
  from: number;
  to: number;
  /** how `to` was found */
  until: 'exit' | 'killed' | 'still running';
}

/**
 * The time intervals of the mutating helm runs: from spawning the real helm to its exit. A run
 * without an exit ends when its replica was killed (`killedAt`, epoch ms by replica id), or
 * never when the replica was not killed (still running, or lost). Runs that never spawned helm
 * (the wrapper died while sleeping) are left out: helm did nothing.
 */
export function mutatingIntervals(
  ops: HelmOp[],
  killedAt: Record<string, number>,
): HelmInterval[] {
  const out: HelmInterval[] = [];
  for (const op of ops) {
    if (!op.sub || !MUTATING.has(op.sub) || op.exec === undefined) continue;
    if (op.end !== undefined) {
      out.push({ op, from: op.exec, to: op.end, until: 'exit' });
    } else if (op.replica && killedAt[op.replica] !== undefined) {
      out.push({
        op,
        from: op.exec,
        to: Math.max(op.exec, killedAt[op.replica]),
        until: 'killed',
      });
    } else {
      out.push({ op, from: op.exec, to: Infinity, until: 'still running' });
    }
  }
  return out;
}

/** Pairs of mutating helm runs on the same namespace and release whose intervals overlap. */
export function overlappingMutations(
  ops: HelmOp[],
  killedAt: Record<string, number>,
): Array<[HelmInterval, HelmInterval]> {
  const groups = new Map<string, HelmInterval[]>();
  for (const i of mutatingIntervals(ops, killedAt)) {
    // every session's release lives in its own namespace: group by namespace (release as well,
    // in case a namespace ever holds more than one)
    const key = `${i.op.namespace ?? '?'}/${i.op.release ?? '?'}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const pairs: Array<[HelmInterval, HelmInterval]> = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.from - b.from);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        if (list[j].from >= list[i].to) break;
        pairs.push([list[i], list[j]]);
      }
    }
  }
  return pairs;
}

/** One line per helm run, for failure messages. */
export function describeOps(ops: HelmOp[], t0 = 0): string {
  return ops
    .map(o => {
      const t = (v?: number) => (v === undefined ? '-' : `${v - t0}`);
      return `${o.replica ?? '?'} pid=${o.pid} ${o.sub} ${o.release ?? ''} -n ${
        o.namespace ?? '?'
      } start=${t(o.start)} exec=${t(o.exec)} end=${t(o.end)} exit=${
        o.exitCode ?? o.signal ?? '-'
      }`;
    })
    .join('\n');
}
