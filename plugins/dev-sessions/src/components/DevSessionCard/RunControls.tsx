import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  DevSession,
  devSessionDeletePermission,
  devSessionUpdatePermission,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { devSessionsApiRef } from '../../api';

type Action = 'stop' | 'start' | 'retry' | 'delete';

const LABEL: Record<Action, string> = {
  stop: 'Stop',
  start: 'Start',
  retry: 'Retry',
  delete: 'Delete',
};

const IN_FLIGHT: Record<Action, string> = {
  stop: 'Stopping…',
  start: 'Starting…',
  retry: 'Retrying…',
  delete: 'Deleting…',
};

/** What a session in transition is doing. */
const TRANSITION: Partial<Record<DevSession['state'], string>> = {
  deleting: 'Deleting…',
  stopping: 'Stopping…',
  starting: 'Starting…',
};

function explain(action: Action, project: string): string {
  switch (action) {
    case 'stop':
      return `The pod of ${project} stops and its links stop answering; the workspace and everything else are kept, and Start brings it back.`;
    case 'start':
      return `${project} starts again on the workspace it kept; its links work once it is ready.`;
    case 'retry':
      return `The platform installs ${project}'s session again with the settings it was created with.`;
    default:
      return `The session of ${project}, its workspace (all files not pushed elsewhere) and its catalog entry are deleted. This cannot be undone.`;
  }
}

/** The actions a session in this state offers. */
export function actionsFor(state: DevSession['state']): Action[] {
  switch (state) {
    case 'ready':
      return ['stop', 'delete'];
    case 'stopped':
      return ['start', 'delete'];
    case 'failed':
      return ['retry', 'delete'];
    case 'provisioning':
    case 'starting':
    case 'stopping':
      return ['delete'];
    default:
      return [];
  }
}

/**
 * Stop, Start, Retry (a failed session, with its stored settings) and Delete, each after a
 * confirmation naming the project; shown only to people allowed to (`dev-session.update` for the
 * first three, `dev-session.delete` for Delete: the owner, in the app's policy). While an
 * action or a transition runs the buttons are disabled and say so.
 */
export function RunControls({
  session,
  onChange,
  size = 'small',
}: {
  session: DevSession;
  onChange: () => void;
  size?: 'small' | 'medium';
}) {
  const api = useApi(devSessionsApiRef);
  const update = usePermission({
    permission: devSessionUpdatePermission,
    resourceRef: session.projectUuid,
  });
  const remove = usePermission({
    permission: devSessionDeletePermission,
    resourceRef: session.projectUuid,
  });
  const [confirming, setConfirming] = useState<Action | undefined>();
  const [running, setRunning] = useState<Action | undefined>();
  const [error, setError] = useState<string | undefined>();
  const project = session.projectId;

  const allowed = actionsFor(session.state).filter(a =>
    a === 'delete' ? remove.allowed : update.allowed,
  );
  const transition = TRANSITION[session.state];
  if (allowed.length === 0 && !transition) return null;

  const act = async (action: Action) => {
    setConfirming(undefined);
    setError(undefined);
    setRunning(action);
    try {
      if (action === 'delete') await api.delete(session.projectUuid);
      else if (action === 'retry')
        await api.getOrCreate(session.projectUuid, {
          projectId: session.projectId,
          size: session.size,
        });
      else await api.setRunning(session.projectUuid, action === 'start');
    } catch (e) {
      setError(`${LABEL[action]} failed: ${(e as Error).message}`);
    } finally {
      setRunning(undefined);
      onChange();
    }
  };

  const busy = running !== undefined || transition !== undefined;
  return (
    <Box my={1} data-testid="run-control">
      <Box display="flex" alignItems="center" style={{ gap: 8 }}>
        {allowed.map(a => (
          <Button
            key={a}
            variant="outlined"
            size={size}
            color={a === 'delete' ? 'secondary' : 'default'}
            disabled={busy}
            style={{ whiteSpace: 'nowrap' }}
            onClick={() => setConfirming(a)}
          >
            {LABEL[a]}
          </Button>
        ))}
        {busy && (
          <Box display="flex" alignItems="center" style={{ gap: 4 }}>
            <CircularProgress size={16} />
            <Typography variant="body2" color="textSecondary" role="status">
              {running ? IN_FLIGHT[running] : transition}
            </Typography>
          </Box>
        )}
      </Box>
      {error && (
        <Typography variant="body2" color="error" role="alert">
          {error}
        </Typography>
      )}
      <Dialog
        open={confirming !== undefined}
        onClose={() => setConfirming(undefined)}
      >
        {confirming && (
          <>
            <DialogTitle>
              {LABEL[confirming]} the dev session of {project}?
            </DialogTitle>
            <DialogContent>
              <DialogContentText>
                {explain(confirming, project)}
              </DialogContentText>
            </DialogContent>
            <DialogActions>
              <Button onClick={() => setConfirming(undefined)}>Cancel</Button>
              <Button
                color={confirming === 'delete' ? 'secondary' : 'primary'}
                variant={confirming === 'delete' ? 'contained' : 'text'}
                onClick={() => act(confirming)}
              >
                {LABEL[confirming]}
              </Button>
            </DialogActions>
          </>
        )}
      </Dialog>
    </Box>
  );
}
