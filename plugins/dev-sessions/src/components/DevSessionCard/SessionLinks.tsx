import {
  DEV_SESSION_ROLES,
  DevSession,
  DevSessionStatus,
} from '@internal/backstage-plugin-dev-sessions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import { ROLE_LABEL } from './helpers';
import { safeHttpUrl } from './hints';

/** A button a container role, opening its endpoint once the session and endpoint are ready. */
export function SessionLinks({
  session,
  status,
}: {
  session: DevSession;
  status: DevSessionStatus | undefined;
}) {
  return (
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
          Boolean(status?.endpoints[role]?.ready) && session.state === 'ready';
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
  );
}
