import {
  DEV_SESSION_ROLES,
  DevSession,
  DevSessionStatus,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import { ROLE_LABEL } from './helpers';
import { safeHttpUrl } from './hints';
import { useLinkCookie } from './useLinkCookie';

/**
 * A button per container role, opening its signed-in link once the session and the role are
 * ready and the links' cookie is issued (the link opens in a new tab, with cookies only).
 */
export function SessionLinks({
  session,
  status,
}: {
  session: DevSession;
  status: DevSessionStatus | undefined;
}) {
  const signedIn = useLinkCookie(true);
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
          Boolean(status?.endpoints[role]?.ready) &&
          session.state === 'ready' &&
          signedIn;
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
