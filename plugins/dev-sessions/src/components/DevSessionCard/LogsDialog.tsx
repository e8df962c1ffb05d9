import { EmptyState, LogViewer } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  DevSessionLogs,
  DevSessionRole,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import LinearProgress from '@material-ui/core/LinearProgress';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import Typography from '@material-ui/core/Typography';
import { useCallback, useEffect, useRef, useState } from 'react';
import { devSessionsApiRef } from '../../api';
import { ROLE_LABEL } from './helpers';

const TAIL_LINES = 1000;

/**
 * The last lines of one container's log in a dialog, as the Kubernetes plugin's pod logs show
 * them (core-components' LogViewer): the current container, or the one before its last restart
 * (`previous`, where a crash loop's error is).
 */
export function LogsDialog({
  projectUuid,
  projectName,
  role,
  initialPrevious,
  onClose,
}: {
  projectUuid: string;
  projectName: string;
  role: DevSessionRole;
  initialPrevious: boolean;
  onClose: () => void;
}) {
  const api = useApi(devSessionsApiRef);
  const [previous, setPrevious] = useState(initialPrevious);
  const [logs, setLogs] = useState<DevSessionLogs | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);

  // only the latest request's answer is shown (switching tabs while one loads)
  const generation = useRef(0);
  const load = useCallback(async () => {
    const id = ++generation.current;
    setLoading(true);
    setError(undefined);
    setLogs(undefined);
    try {
      const answer = await api.logs(projectUuid, {
        container: role,
        previous,
        tailLines: TAIL_LINES,
      });
      if (id === generation.current) setLogs(answer);
    } catch (e) {
      if (id === generation.current) setError((e as Error).message);
    } finally {
      if (id === generation.current) setLoading(false);
    }
  }, [api, projectUuid, role, previous]);

  useEffect(() => {
    load();
  }, [load]);

  return (
    <Dialog open onClose={onClose} maxWidth="lg" fullWidth>
      <DialogTitle>
        {ROLE_LABEL[role]} logs · {projectName}
      </DialogTitle>
      <DialogContent>
        <Tabs
          value={previous ? 1 : 0}
          onChange={(_e, v) => setPrevious(v === 1)}
          indicatorColor="primary"
          aria-label="Which container"
        >
          <Tab label="Current container" />
          <Tab label="Before the last restart" />
        </Tabs>
        {loading && <LinearProgress />}
        {error && (
          <Typography color="error" role="alert" style={{ margin: '16px 0' }}>
            {error}
          </Typography>
        )}
        {logs && (
          <Typography variant="caption" color="textSecondary" display="block">
            Pod {logs.pod} · up to the last {logs.tailLines} lines
            {logs.truncated ? ' · cut at the size limit' : ''}
          </Typography>
        )}
        <Box height="60vh" mt={1} data-testid="logs-text">
          {logs && logs.text === '' && (
            <EmptyState
              missing="data"
              title="No log lines"
              description="The container has not written anything yet."
            />
          )}
          {logs && logs.text !== '' && <LogViewer text={logs.text} />}
        </Box>
      </DialogContent>
      <DialogActions>
        <Button onClick={load} disabled={loading}>
          Reload
        </Button>
        <Button onClick={onClose} color="primary">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
