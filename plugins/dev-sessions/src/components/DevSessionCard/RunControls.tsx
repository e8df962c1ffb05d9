import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  DevSession,
  devSessionUpdatePermission,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { devSessionsApiRef } from '../../api';

/**
 * Stop (a ready session) or Start (a stopped one), after a confirmation; shown only to people
 * with `dev-session.update` on the session (the owner, in the app's policy).
 */
export function RunControls({
  session,
  onChange,
}: {
  session: DevSession;
  onChange: () => void;
}) {
  const api = useApi(devSessionsApiRef);
  const { allowed } = usePermission({
    permission: devSessionUpdatePermission,
    resourceRef: session.projectUuid,
  });
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const running = session.state === 'stopped';
  if (!allowed || (session.state !== 'ready' && session.state !== 'stopped'))
    return null;
  const label = running ? 'Start' : 'Stop';

  const act = async () => {
    setConfirming(false);
    setError(undefined);
    try {
      await api.setRunning(session.projectUuid, running);
    } catch (e) {
      setError((e as Error).message);
    }
    onChange();
  };

  return (
    <>
      <Button
        variant="outlined"
        size="small"
        onClick={() => setConfirming(true)}
        data-testid="run-control"
      >
        {label}
      </Button>
      {error && (
        <Typography variant="body2" color="error">
          {error}
        </Typography>
      )}
      <Dialog open={confirming} onClose={() => setConfirming(false)}>
        <DialogTitle>{label} this dev session?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            {running
              ? 'The session starts again on the workspace it kept; its links work once it is ready.'
              : 'The pod stops and the links stop answering; the workspace and everything else are kept, and Start brings it back.'}
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Cancel</Button>
          <Button color="primary" onClick={act}>
            {label}
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
