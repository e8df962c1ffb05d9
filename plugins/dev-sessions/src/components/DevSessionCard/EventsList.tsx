import { WarningPanel } from '@backstage/core-components';
import { DevSessionEvent } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Typography from '@material-ui/core/Typography';
import { ago, eventHint } from './hints';

/**
 * The session's warning events (FailedScheduling, BackOff, Unhealthy, NodeNotReady …), newest
 * first, each with what it likely means, as the Kubernetes plugin's error list shows them.
 */
export function EventsList({ events }: { events: DevSessionEvent[] }) {
  const warnings = events
    .filter(e => e.type === 'Warning')
    .sort((a, b) =>
      (b.lastTimestamp ?? '').localeCompare(a.lastTimestamp ?? ''),
    )
    .slice(0, 5);
  if (warnings.length === 0) return null;
  return (
    <div data-testid="session-events">
      <WarningPanel
        severity="warning"
        title={`${
          warnings.length === 1 ? 'A warning' : `${warnings.length} warnings`
        } from Kubernetes`}
        defaultExpanded
      >
        {warnings.map((e, i) => {
          const hint = eventHint(e.reason);
          const detail = [
            e.count > 1 ? `${e.count}×` : undefined,
            e.lastTimestamp ? `last ${ago(e.lastTimestamp)}` : undefined,
          ]
            .filter(Boolean)
            .join(', ');
          return (
            <div
              key={`${e.reason}-${e.object}-${i}`}
              style={{ marginBottom: 8 }}
            >
              <Typography variant="body2">
                <strong>{e.reason}</strong> on {e.object}
                {detail ? ` (${detail})` : ''}: {e.message}
              </Typography>
              {hint && (
                <Typography variant="caption" color="textSecondary">
                  {hint}
                </Typography>
              )}
            </div>
          );
        })}
      </WarningPanel>
    </div>
  );
}
