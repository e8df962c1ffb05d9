import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  DEV_SESSION_ROLES,
  DevSessionRole,
  devSessionReadPermission,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import express from 'express';
import Router from 'express-promise-router';
import { GatewayTokenStore } from '../database/GatewayTokenStore';
import { workspacePathProblem } from '../gateway/paths';
import { DevSessionsApi } from '../service/types';
import { validateProjectUuid } from '../service/validation';
import { createAudited } from './audit';
import { createDevSessionAuthorizer } from './authorize';

/** The path prefix of the open route; it takes Backstage's user cookie as well as tokens. */
export const OPEN_ROUTE_PREFIX = '/projects/:projectUuid/open';

function validateRole(value: string): DevSessionRole {
  if (!(DEV_SESSION_ROLES as readonly string[]).includes(value))
    throw new InputError(
      `Invalid role: must be one of ${DEV_SESSION_ROLES.join(', ')}`,
    );
  return value as DevSessionRole;
}

/**
 * `GET /projects/:projectUuid/open/:role/<path>`: the link people click. It checks the
 * Backstage sign-in (the user cookie the frontend keeps, or a token) and read permission on
 * the session, then redirects the browser to the role's own origin on the gateway with a
 * one-time ticket for that user, session and role; `<path>` (and the query) is where it lands.
 */
export function createOpenRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  service: DevSessionsApi;
  tokens: GatewayTokenStore;
  signinUrl: (
    projectUuid: string,
    role: DevSessionRole,
    ticket: string,
    next: string,
  ) => string;
}): express.Router {
  const { httpAuth, service, tokens } = options;
  const { authorize } = createDevSessionAuthorizer(options.permissions);
  const audited = createAudited(options.auditor);
  const router = Router();

  router.get(
    [`${OPEN_ROUTE_PREFIX}/:role`, `${OPEN_ROUTE_PREFIX}/:role/*`],
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, {
        allow: ['user'],
        allowLimitedAccess: true,
      });
      const meta = {
        projectUuid: String(req.params.projectUuid).slice(0, 64),
        role: String(req.params.role).slice(0, 16),
      };
      await audited('session-open', req, meta, async () => {
        const uuid = validateProjectUuid(req.params.projectUuid);
        const role = validateRole(req.params.role);
        // what follows /open/<role> in the raw URL (express has not normalised it)
        const rest = req.url.replace(/^\/projects\/[^/?]+\/open\/[^/?]+/, '');
        const next = rest.startsWith('/') ? rest : `/${rest}`;
        const problem = workspacePathProblem(next);
        if (problem) throw new InputError(`Invalid path: ${problem}`);
        await authorize(credentials, {
          permission: devSessionReadPermission,
          resourceRef: uuid,
        });
        const session = await service.find(uuid);
        if (!session || session.state === 'deleting')
          throw new NotFoundError(`Project ${uuid} has no dev session`);
        await service.recordActivity(uuid); // opening a link is a use
        const ticket = await tokens.issueTicket({
          projectUuid: uuid,
          role,
          userRef: credentials.principal.userEntityRef,
        });
        res.setHeader('referrer-policy', 'no-referrer');
        res.setHeader('cache-control', 'no-store');
        res.redirect(302, options.signinUrl(uuid, role, ticket, next));
        return { result: undefined, meta: { owner: session.owner } };
      });
    },
  );
  return router;
}
