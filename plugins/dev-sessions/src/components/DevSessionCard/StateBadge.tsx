import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { DevSession } from '@dev-sessions/backstage-plugin-dev-sessions-common';

/** The session's state as a status badge. */
export function StateBadge({
  state,
}: {
  state: DevSession['state'] | 'unknown';
}) {
  switch (state) {
    case 'ready':
      return <StatusOK>ready</StatusOK>;
    case 'provisioning':
      return <StatusRunning>provisioning</StatusRunning>;
    case 'failed':
      return <StatusError>failed</StatusError>;
    case 'deleting':
      return <StatusWarning>deleting</StatusWarning>;
    case 'stopping':
      return <StatusRunning>stopping</StatusRunning>;
    case 'starting':
      return <StatusRunning>starting</StatusRunning>;
    case 'stopped':
      return <StatusAborted>stopped</StatusAborted>;
    default:
      return <StatusAborted>unknown</StatusAborted>;
  }
}
