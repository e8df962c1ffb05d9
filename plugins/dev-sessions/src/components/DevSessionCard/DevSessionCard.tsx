import {
  InfoCard,
  Progress,
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  ANNOTATION_DEV_SESSION_PROJECT_UUID,
  DEV_SESSION_ROLES,
  DevSession,
  DevSessionContainerStatus,
  DevSessionRole,
  DevSessionStatus,
} from '@internal/backstage-plugin-dev-sessions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import IconButton from '@material-ui/core/IconButton';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import { useCallback, useEffect, useRef, useState } from 'react';
import { devSessionsApiRef } from '../../api';
import { ago, reasonHint, safeHttpUrl } from './hints';

const ROLE_LABEL: Record<DevSessionRole, string> = {
  preview: 'Preview',
  chat: 'Chat',
  vscode: 'VS Code',
};
const FAST_POLL_MS = 3000;
const SLOW_POLL_MS = 30000;

type Problem = {
  kind: 'none' | 'forbidden' | 'unreachable' | 'error';
  message?: string;
};

function statusCode(e: unknown): number | undefined {
  const s = (e as any)?.status ?? (e as any)?.response?.status;
  return typeof s === 'number' ? s : undefined;
}

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
    default:
      return <StatusAborted>unknown</StatusAborted>;
  }
}

function ContainerState({ c }: { c?: DevSessionContainerStatus }) {
  if (!c) return <StatusPending>not created</StatusPending>;
  if (c.ready) return <StatusOK>ready</StatusOK>;
  if (c.reason) return <StatusError>{c.reason}</StatusError>;
  return <StatusPending>{c.state}</StatusPending>;
}

/** Link to the "Dev session" template with this project pre-filled. */
export function createSessionUrl(projectUuid: string, projectName: string) {
  const formData = JSON.stringify({ projectUuid, projectName });
  return `/create/templates/default/dev-session?formData=${encodeURIComponent(
    formData,
  )}`;
}

/** The dev session card for an entity carrying the project-UUID annotation. */
export const DevSessionCard = () => {
  const { entity } = useEntity();
  const api = useApi(devSessionsApiRef);
  const projectUuid =
    entity.metadata.annotations?.[ANNOTATION_DEV_SESSION_PROJECT_UUID];
  const [session, setSession] = useState<DevSession | undefined>();
  const [status, setStatus] = useState<DevSessionStatus | undefined>();
  const [missing, setMissing] = useState(false);
  const [problem, setProblem] = useState<Problem>({ kind: 'none' });
  const [loading, setLoading] = useState(true);
  const [refreshedAt, setRefreshedAt] = useState<string | undefined>();
  const timer = useRef<ReturnType<typeof setTimeout>>();

  const load = useCallback(async () => {
    if (!projectUuid) return;
    try {
      const s = await api.get(projectUuid);
      setSession(s);
      setMissing(false);
      try {
        setStatus(await api.status(projectUuid));
        setProblem({ kind: 'none' });
      } catch (e) {
        const code = statusCode(e);
        // keep the last known status when the cluster cannot be reached
        if (code === 503)
          setProblem({ kind: 'unreachable', message: (e as Error).message });
        else if (code === 403) setProblem({ kind: 'forbidden' });
        else setProblem({ kind: 'error', message: (e as Error).message });
      }
    } catch (e) {
      const code = statusCode(e);
      if (code === 404) {
        setMissing(true);
        setSession(undefined);
        setStatus(undefined);
        setProblem({ kind: 'none' });
      } else if (code === 403) setProblem({ kind: 'forbidden' });
      else if (code === 503)
        setProblem({ kind: 'unreachable', message: (e as Error).message });
      else setProblem({ kind: 'error', message: (e as Error).message });
    } finally {
      setLoading(false);
      setRefreshedAt(new Date().toISOString());
    }
  }, [api, projectUuid]);

  const busy =
    session?.state === 'provisioning' ||
    session?.state === 'deleting' ||
    (session?.state === 'ready' &&
      status?.containers.some(c => !c.ready && !c.reason));

  useEffect(() => {
    load();
  }, [load]);

  useEffect(() => {
    clearTimeout(timer.current);
    if (!missing && problem.kind !== 'forbidden') {
      timer.current = setTimeout(load, busy ? FAST_POLL_MS : SLOW_POLL_MS);
    }
    return () => clearTimeout(timer.current);
  }, [load, busy, missing, problem.kind, refreshedAt]);

  const refreshButton = (
    <Tooltip title="Refresh">
      <IconButton aria-label="Refresh" onClick={() => load()} size="small">
        <RefreshIcon />
      </IconButton>
    </Tooltip>
  );

  if (!projectUuid) {
    return (
      <InfoCard title="Dev session">
        <Typography variant="body2">
          This entity has no {ANNOTATION_DEV_SESSION_PROJECT_UUID} annotation.
        </Typography>
      </InfoCard>
    );
  }
  if (loading) {
    return (
      <InfoCard title="Dev session">
        <Progress />
      </InfoCard>
    );
  }
  if (problem.kind === 'forbidden') {
    return (
      <InfoCard title="Dev session">
        <Typography variant="body2">
          You are not allowed to see this project's dev session.
        </Typography>
      </InfoCard>
    );
  }
  if (missing) {
    return (
      <InfoCard title="Dev session" action={refreshButton}>
        <Typography variant="body2" paragraph>
          Project {projectUuid} has no dev session yet.
        </Typography>
        <Button
          variant="contained"
          color="primary"
          href={createSessionUrl(
            projectUuid,
            entity.metadata.title ?? entity.metadata.name,
          )}
        >
          Create dev session
        </Button>
      </InfoCard>
    );
  }
  if (!session) {
    return (
      <InfoCard title="Dev session" action={refreshButton}>
        <Typography variant="body2" color="error" role="alert">
          {problem.kind === 'unreachable'
            ? 'The Kubernetes cluster is unreachable'
            : 'Could not load the dev session'}
          {problem.message ? `: ${problem.message}` : ''}
        </Typography>
      </InfoCard>
    );
  }

  const byRole = (role: DevSessionRole) =>
    status?.containers.find(c => c.role === role || c.name === role);
  return (
    <InfoCard
      title="Dev session"
      subheader={`${session.projectId} · ${session.size}`}
      action={refreshButton}
    >
      {problem.kind === 'unreachable' && (
        <Typography variant="body2" color="error" role="alert" paragraph>
          The Kubernetes cluster is unreachable; showing the last known state.{' '}
          {problem.message}
        </Typography>
      )}
      {problem.kind === 'error' && (
        <Typography variant="body2" color="error" role="alert" paragraph>
          Could not read the live status: {problem.message}
        </Typography>
      )}
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 16 }}
        mb={1}
      >
        <Box>
          <Typography variant="overline" display="block">
            State
          </Typography>
          <span data-testid="session-state">
            <StateBadge state={session.state} />
          </span>
        </Box>
        <Box>
          <Typography variant="overline" display="block">
            Pod
          </Typography>
          <Typography variant="body2" data-testid="pod-phase">
            {status?.pod?.phase ?? 'no pod'}
          </Typography>
        </Box>
      </Box>
      {session.state === 'failed' && session.lastError && (
        <Typography variant="body2" color="error" paragraph>
          {session.lastError}
        </Typography>
      )}
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
            const c = byRole(role);
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
      <Box
        display="flex"
        style={{ gap: 8 }}
        mt={2}
        mb={1}
        data-testid="dev-session-links"
      >
        {DEV_SESSION_ROLES.map(role => {
          const url = safeHttpUrl(
            status?.endpoints[role]?.url ?? session.endpoints[role]?.url,
          );
          const ready =
            Boolean(status?.endpoints[role]?.ready) &&
            session.state === 'ready';
          return url && ready ? (
            <Button
              key={role}
              variant="outlined"
              color="primary"
              href={url}
              target="_blank"
              rel="noopener noreferrer"
            >
              {ROLE_LABEL[role]}
            </Button>
          ) : (
            <Button key={role} variant="outlined" disabled>
              {ROLE_LABEL[role]}
            </Button>
          );
        })}
      </Box>
      <Typography variant="caption" color="textSecondary" display="block">
        Namespace {session.namespace} · release {session.releaseName} · chart{' '}
        {session.chartVersion} · cluster {session.cluster}
      </Typography>
      <Typography
        variant="caption"
        color="textSecondary"
        display="block"
        data-testid="updated"
      >
        Updated {ago(status?.checkedAt ?? refreshedAt)}
        {busy ? ' · refreshing every few seconds' : ''}
      </Typography>
    </InfoCard>
  );
};
