import {
  InfoCard,
  Link,
  Progress,
  StatusWarning,
} from '@backstage/core-components';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import { ANNOTATION_DEV_SESSION_PROJECT_UUID } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import { ContainerStatusTable } from './ContainerStatusTable';
import { EventsList } from './EventsList';
import { createSessionUrl } from './helpers';
import { ago } from './hints';
import { LifecycleLine } from './LifecycleLine';
import { RunControls } from './RunControls';
import { SessionLinks } from './SessionLinks';
import { StateBadge } from './StateBadge';
import { useDevSession } from './useDevSession';

export { createSessionUrl } from './helpers';
export { StateBadge } from './StateBadge';

/** The dev session card for an entity carrying the project-UUID annotation. @public */
export const DevSessionCard = () => {
  const { entity } = useEntity();
  const projectUuid =
    entity.metadata.annotations?.[ANNOTATION_DEV_SESSION_PROJECT_UUID];
  const live = useDevSession(projectUuid);
  const { session, status, problem } = live;

  const refreshButton = (
    <Tooltip title="Refresh">
      <IconButton aria-label="Refresh" onClick={() => live.load()} size="small">
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
  if (live.loading) {
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
  if (live.missing && live.gone) {
    return (
      <InfoCard title="Dev session" action={refreshButton}>
        <Typography variant="body2" paragraph data-testid="session-gone">
          The dev session of {live.gone} was deleted, and its catalog entry with
          it; this page shows the entry until you leave.
        </Typography>
        <Link to="/dev-sessions">Your dev sessions</Link>
      </InfoCard>
    );
  }
  if (live.missing) {
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
            {live.unhealthy ? (
              <StatusWarning>unhealthy</StatusWarning>
            ) : (
              <StateBadge state={session.state} />
            )}
          </span>
        </Box>
        <Box>
          <Typography variant="overline" display="block">
            Pod
          </Typography>
          <Typography variant="body2" data-testid="pod-phase">
            {status?.pod
              ? `${status.pod.phase}${
                  live.podReady ? `, ready ${live.podReady.status}` : ''
                }`
              : 'no pod'}
          </Typography>
        </Box>
        <Box>
          <Typography variant="overline" display="block">
            Owner
          </Typography>
          <Typography variant="body2" data-testid="session-owner">
            <EntityRefLink entityRef={session.owner} />
          </Typography>
        </Box>
      </Box>
      {live.unhealthy && (
        <Typography variant="body2" color="error" paragraph role="alert">
          The session is provisioned but its pod is not ready
          {live.podReady?.reason ? ` (${live.podReady.reason})` : ''}
          {live.podReady?.message ? `: ${live.podReady.message}` : ''}. Its
          links may not answer until it is.
        </Typography>
      )}
      {session.state === 'failed' && session.lastError && (
        <Typography variant="body2" color="error" paragraph>
          {session.lastError}
        </Typography>
      )}
      <LifecycleLine session={session} />
      {status && <EventsList events={status.events} />}
      <ContainerStatusTable
        status={status}
        projectUuid={session.projectUuid}
        projectName={session.projectId}
      />
      <SessionLinks session={session} status={status} />
      <RunControls session={session} onChange={() => live.load()} />
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
        Updated {ago(status?.checkedAt ?? live.refreshedAt, live.now)}
        {live.busy
          ? ' · refreshing every 2 s while it changes'
          : ' · refreshing every 15 s'}
      </Typography>
    </InfoCard>
  );
};
