import {
  StatusError,
  StatusOK,
  StatusPending,
} from '@backstage/core-components';
import {
  DEV_SESSION_ROLES,
  DevSessionContainerStatus,
  DevSessionRole,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import { ROLE_LABEL } from './helpers';
import { reasonHint } from './hints';
import { LogsDialog } from './LogsDialog';

function ContainerState({ c }: { c?: DevSessionContainerStatus }) {
  if (!c) return <StatusPending>not created</StatusPending>;
  if (c.ready) return <StatusOK>ready</StatusOK>;
  if (c.reason) return <StatusError>{c.reason}</StatusError>;
  return <StatusPending>{c.state}</StatusPending>;
}

/** A crash-looping container's useful log is the one before its last restart. */
export function opensOnPrevious(c?: DevSessionContainerStatus): boolean {
  return (
    !!c && c.restartCount > 0 && (!c.ready || c.reason === 'CrashLoopBackOff')
  );
}

/**
 * One row per container role: its state, the last exit, a hint for the reason, restarts and
 * its logs (a dialog, opening on the previous container of a crash loop).
 */
export function ContainerStatusTable({
  status,
  projectUuid,
  projectName,
}: {
  status: DevSessionStatus | undefined;
  projectUuid: string;
  projectName: string;
}) {
  const [logsOf, setLogsOf] = useState<
    { role: DevSessionRole; previous: boolean } | undefined
  >();
  return (
    <>
      <Table size="small" aria-label="Containers">
        <TableHead>
          <TableRow style={{ whiteSpace: 'nowrap' }}>
            <TableCell>Container</TableCell>
            <TableCell>Status</TableCell>
            <TableCell align="right">Restarts</TableCell>
            <TableCell align="right">Logs</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {DEV_SESSION_ROLES.map(role => {
            const c = status?.containers.find(
              x => x.role === role || x.name === role,
            );
            const hint =
              reasonHint(c?.reason) ?? reasonHint(c?.lastTerminationReason);
            return (
              <TableRow key={role} data-testid={`container-${role}`}>
                <TableCell>{ROLE_LABEL[role]}</TableCell>
                <TableCell>
                  <ContainerState c={c} />
                  {c?.lastTerminationReason &&
                    c.lastTerminationReason !== c.reason && (
                      <Typography variant="caption" display="block">
                        last exit: {c.lastTerminationReason}
                      </Typography>
                    )}
                  {hint && (
                    <Typography variant="caption" display="block">
                      {hint}
                    </Typography>
                  )}
                </TableCell>
                <TableCell align="right">{c?.restartCount ?? 0}</TableCell>
                <TableCell align="right">
                  <Button
                    size="small"
                    disabled={
                      !c || (c.state === 'waiting' && c.restartCount === 0)
                    }
                    aria-label={`${ROLE_LABEL[role]} logs`}
                    onClick={() =>
                      setLogsOf({ role, previous: opensOnPrevious(c) })
                    }
                  >
                    Logs
                  </Button>
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
      {logsOf && (
        <LogsDialog
          projectUuid={projectUuid}
          projectName={projectName}
          role={logsOf.role}
          initialPrevious={logsOf.previous}
          onClose={() => setLogsOf(undefined)}
        />
      )}
    </>
  );
}
