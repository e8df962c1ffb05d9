import { useApi } from '@backstage/frontend-plugin-api';
import {
  DevSession,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { devSessionsApiRef } from '../../api';

const FAST_POLL_MS = 2000;
const SLOW_POLL_MS = 15000;
const TICK_MS = 5000;

/** Why the card cannot show (all of) the session. */
export type Problem = {
  kind: 'none' | 'forbidden' | 'unreachable' | 'error';
  message?: string;
};

function statusCode(e: unknown): number | undefined {
  const s = (e as any)?.status ?? (e as any)?.response?.status;
  return typeof s === 'number' ? s : undefined;
}

/**
 * The project's dev session and its live status, polled every few seconds while something is
 * changing (`busy`) and every 30 s otherwise; not at all when there is none or it is forbidden.
 */
export function useDevSession(projectUuid: string | undefined) {
  const api = useApi(devSessionsApiRef);
  const [session, setSession] = useState<DevSession | undefined>();
  const [status, setStatus] = useState<DevSessionStatus | undefined>();
  const [missing, setMissing] = useState(false);
  const [problem, setProblem] = useState<Problem>({ kind: 'none' });
  const [loading, setLoading] = useState(true);
  const [refreshedAt, setRefreshedAt] = useState<string | undefined>();
  // the session existed while this card showed it and is gone now (deleted): its project name
  const [gone, setGone] = useState<string | undefined>();
  const [now, setNow] = useState(Date.now());
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const seen = useRef<string | undefined>();

  // Each load has a number; only the latest one's answers are shown, so a slow poll that
  // started before a Stop or a Delete cannot put back what was there before.
  const generation = useRef(0);

  useEffect(() => {
    seen.current = undefined;
    setGone(undefined);
  }, [projectUuid]);

  const load = useCallback(async () => {
    if (!projectUuid) return;
    const id = ++generation.current;
    const latest = () => id === generation.current;
    const done = () => {
      setLoading(false);
      setRefreshedAt(new Date().toISOString());
    };
    let s: DevSession;
    try {
      s = await api.get(projectUuid);
    } catch (e) {
      if (!latest()) return;
      const code = statusCode(e);
      if (code === 404) {
        setGone(seen.current);
        setMissing(true);
        setSession(undefined);
        setStatus(undefined);
        setProblem({ kind: 'none' });
      } else if (code === 403) setProblem({ kind: 'forbidden' });
      else if (code === 503)
        setProblem({ kind: 'unreachable', message: (e as Error).message });
      else setProblem({ kind: 'error', message: (e as Error).message });
      done();
      return;
    }
    let live: DevSessionStatus | undefined;
    let failure: unknown;
    try {
      live = await api.status(projectUuid);
    } catch (e) {
      failure = e;
    }
    if (!latest()) return;
    seen.current = s.projectId;
    setSession(s);
    setMissing(false);
    setGone(undefined);
    if (live) {
      setStatus(live);
      setProblem({ kind: 'none' });
    } else {
      const code = statusCode(failure);
      const message = (failure as Error)?.message;
      // keep the last known status when the cluster cannot be reached
      if (code === 503) setProblem({ kind: 'unreachable', message });
      else if (code === 403) setProblem({ kind: 'forbidden' });
      else setProblem({ kind: 'error', message });
    }
    done();
  }, [api, projectUuid]);

  const podReady = status?.pod?.conditions.find(c => c.type === 'Ready');
  // the record says ready but the pod says otherwise (a probe fails, the node is gone …)
  const unhealthy =
    session?.state === 'ready' &&
    !!status?.pod &&
    podReady !== undefined &&
    podReady.status !== 'True';
  const busy =
    session?.state === 'provisioning' ||
    session?.state === 'deleting' ||
    session?.state === 'stopping' ||
    session?.state === 'starting' ||
    unhealthy ||
    (session?.state === 'ready' &&
      status?.containers.some(c => !c.ready && !c.reason));

  // re-render every few seconds so "updated … ago" stays true between polls
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    load();
  }, [load]);

  useEffect(() => {
    clearTimeout(timer.current);
    // a refusal after the session was shown is most likely its deletion racing the check:
    // keep asking (a caller never allowed stops here)
    if (!missing && (problem.kind !== 'forbidden' || seen.current)) {
      timer.current = setTimeout(load, busy ? FAST_POLL_MS : SLOW_POLL_MS);
    }
    return () => clearTimeout(timer.current);
  }, [load, busy, missing, problem.kind, refreshedAt]);

  return {
    session,
    status,
    missing,
    problem,
    loading,
    refreshedAt,
    busy,
    unhealthy,
    podReady,
    gone,
    now,
    load,
  };
}
