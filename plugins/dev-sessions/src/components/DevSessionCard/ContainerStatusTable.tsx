import {
  StatusError,
  StatusOK,
  StatusPending,
} from '@backstage/core-components';
import {
  DEV_SESSION_ROLES,
  DevSessionContainerStatus,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { ROLE_LABEL } from './helpers';
import { reasonHint } from './hints';

function ContainerState({ c }: { c?: DevSessionContainerStatus }) {
  if (!c) return <StatusPending>not created</StatusPending>;
  if (c.ready) return <StatusOK>ready</StatusOK>;
  if (c.reason) return <StatusError>{c.reason}</StatusError>;
  return <StatusPending>{c.state}</StatusPending>;
}

/** One row a container role: its state, the last exit, a hint for the reason and restarts. */
export function ContainerStatusTable({
  status,
}: {
  status: DevSessionStatus | undefined;
}) {
  return (
    <Table size="small" aria-label="Containers">
      <TableHead>
        <TableRow>
          <TableCell>Container</TableCell>
          <TableCell>Status</TableCell>
          <TableCell align="right">Restarts</TableCell>
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
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
