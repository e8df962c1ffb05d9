import { useApi } from '@backstage/frontend-plugin-api';
import { useEffect, useState } from 'react';
import { devSessionsApiRef } from '../../api';

const RETRY_MS = 60_000;
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * Keeps Backstage's user cookie for the dev-sessions plugin fresh while the card is shown (as
 * TechDocs does for its pages): the session links open in a new tab, where the browser sends
 * only cookies. Renewed five minutes before it expires; retried every minute after a failure.
 * Returns whether the links are signed in now.
 */
export function useLinkCookie(enabled: boolean): boolean {
  const api = useApi(devSessionsApiRef);
  const [signedIn, setSignedIn] = useState(false);
  useEffect(() => {
    if (!enabled) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const refresh = async () => {
      let next = RETRY_MS;
      try {
        const { expiresAt } = await api.refreshLinkCookie();
        if (stopped) return;
        setSignedIn(true);
        next = Math.max(
          RETRY_MS / 2,
          new Date(expiresAt).getTime() - Date.now() - RENEW_BEFORE_MS,
        );
      } catch {
        if (stopped) return;
        setSignedIn(false);
      }
      timer = setTimeout(refresh, next);
    };
    refresh();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [api, enabled]);
  return signedIn;
}
