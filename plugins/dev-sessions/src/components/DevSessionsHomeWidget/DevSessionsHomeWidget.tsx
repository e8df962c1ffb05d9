import { Link, Progress, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import { devSessionEntityRef } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Box from '@material-ui/core/Box';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { devSessionsApiRef } from '../../api';
import { StateBadge } from '../DevSessionCard/StateBadge';
import { DEV_SESSION_TEMPLATE_PATH } from '../DevSessionsPage/DevSessionsPage';

/** How many sessions the widget shows. */
export const HOME_WIDGET_SIZE = 5;

/**
 * The signed-in user's newest dev sessions (theirs and their groups'), each with its state and
 * a link to its entity page, and "View all" to the dev sessions page.
 * @public
 */
export function DevSessionsHomeWidget({
  viewAllPath = '/dev-sessions',
}: {
  /** Where "View all" leads: the dev sessions page. */
  viewAllPath?: string;
}) {
  const api = useApi(devSessionsApiRef);
  const entityRoute = useEntityRefLink();
  const { value, loading, error } = useAsync(
    () => api.listPage({ mine: true, offset: 0, limit: HOME_WIDGET_SIZE }),
    [api],
  );

  let body;
  if (error) {
    body = (
      <WarningPanel
        severity="error"
        title="Could not load your dev sessions"
        message={error.message}
      />
    );
  } else if (loading || !value) {
    body = <Progress />;
  } else if (value.items.length === 0) {
    body = (
      <Typography variant="body2" color="textSecondary">
        You have no dev sessions yet.{' '}
        <Link to={DEV_SESSION_TEMPLATE_PATH}>Create one</Link>
      </Typography>
    );
  } else {
    body = (
      <List dense disablePadding>
        {value.items.map(s => (
          <ListItem key={s.projectUuid} disableGutters divider>
            <ListItemText
              primary={
                <Link
                  to={entityRoute(
                    s.entityRef ??
                      devSessionEntityRef(s.projectId, s.projectUuid),
                  )}
                >
                  {s.projectId}
                </Link>
              }
            />
            <StateBadge state={s.state} />
          </ListItem>
        ))}
      </List>
    );
  }

  return (
    <Box data-testid="dev-sessions-home-widget">
      {body}
      <Box mt={1} display="flex" justifyContent="space-between">
        {value && value.totalCount > value.items.length ? (
          <Typography variant="caption" color="textSecondary">
            {value.items.length} of {value.totalCount}
          </Typography>
        ) : (
          <span />
        )}
        <Link to={viewAllPath}>View all</Link>
      </Box>
    </Box>
  );
}
