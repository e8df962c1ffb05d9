import { DevSession } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Typography from '@material-ui/core/Typography';
import { ago } from './hints';

/** A date and time as the reader's browser writes it, e.g. "Dec 3, 2026, 14:05". */
export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/**
 * When the session was last used and what the platform will do about it: stop it when idle
 * (`idleStopAt`, only while it runs) and delete it when unused (`expiresAt`). Any use of the
 * session moves both later.
 */
export const LifecycleLine = ({ session }: { session: DevSession }) => {
  const parts: string[] = [];
  if (session.lastActivityAt)
    parts.push(`Last used ${ago(session.lastActivityAt)}`);
  if (session.idleStopAt && session.state === 'ready')
    parts.push(`stops when idle at ${when(session.idleStopAt)}`);
  if (session.expiresAt) parts.push(`expires on ${when(session.expiresAt)}`);
  if (parts.length === 0) return null;
  const text = parts.join(' · ');
  return (
    <Typography
      variant="body2"
      color="textSecondary"
      paragraph
      data-testid="lifecycle"
      title="Opening the session's links, using it through the API, or the workspace's own activity count as use and move these dates later."
    >
      {text.charAt(0).toUpperCase() + text.slice(1)}
    </Typography>
  );
};
