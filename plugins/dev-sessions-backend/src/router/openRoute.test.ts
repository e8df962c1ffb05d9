/*
 * The open route: Backstage sign-in and read permission, then a redirect with a one-time ticket
 * to the role's origin on the gateway. Tickets go to a real GatewayTokenStore on SQLite, so a
 * test can redeem what the route issued. Paths are sent exactly as written (no URL
 * normalisation), as a browser or curl --path-as-is would.
 */
import {
  AuditorService,
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  AuthorizePermissionRequest,
  AuthorizeResult,
} from '@backstage/plugin-permission-common';
import { JsonObject } from '@backstage/types';
import {
  DevSession,
  devSessionReadPermission,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import express from 'express';
import { Knex } from 'knex';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { sqliteStores } from '../__testUtils__/sessions';
import { GatewayTokenStore } from '../database/GatewayTokenStore';
import { DevSessionsApi } from '../service/types';
import { createOpenRouter } from './openRoute';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const OTHER = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const DELETING = 'b3a1c2d4-5e6f-4789-9abc-def012345678';
const open = (rest: string, uuid = UUID) => `/projects/${uuid}/open${rest}`;
const as = (user: string) => ({
  authorization: mockCredentials.user.header(user),
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface AuditRecord {
  eventId: string;
  meta?: JsonObject;
  status: 'succeeded' | 'failed';
  outcome?: JsonObject;
  error?: string;
}

describe('createOpenRouter', () => {
  let server: http.Server;
  let knex: Knex;
  let tokens: GatewayTokenStore;
  let signinUrl: jest.Mock<string, [string, string, string, string]>;
  let authorize: jest.Mock;
  let find: jest.Mock;
  let audit: AuditRecord[];
  /** Who may read which session: Alice may read hers, nobody else's. */
  let allowed: (user: string, uuid: string) => boolean;

  beforeEach(async () => {
    ({ knex } = await sqliteStores(databases));
    tokens = new GatewayTokenStore(knex);
    allowed = (user, uuid) => user === ALICE && uuid !== OTHER;
    authorize = jest.fn(
      async (
        requests: AuthorizePermissionRequest[],
        opts: { credentials: BackstageCredentials },
      ) =>
        requests.map(r => {
          const user = (
            opts.credentials.principal as { userEntityRef?: string }
          ).userEntityRef;
          const ok =
            r.permission.name === devSessionReadPermission.name &&
            user !== undefined &&
            r.resourceRef !== undefined &&
            allowed(user, r.resourceRef);
          return {
            result: ok ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
          } as const;
        }),
    );
    const permissions: PermissionsService = mockServices.permissions.mock({
      authorize: authorize as any,
    });
    const sessions = new Map<string, Partial<DevSession>>([
      [UUID, { projectUuid: UUID, owner: ALICE, state: 'ready' }],
      [OTHER, { projectUuid: OTHER, owner: BOB, state: 'ready' }],
      [DELETING, { projectUuid: DELETING, owner: ALICE, state: 'deleting' }],
    ]);
    find = jest.fn(async (uuid: string) => sessions.get(uuid));
    audit = [];
    const auditor: AuditorService = mockServices.auditor.mock({
      async createEvent({ eventId, meta }) {
        return {
          async success(opts) {
            audit.push({
              eventId,
              meta,
              status: 'succeeded',
              outcome: opts?.meta,
            });
          },
          async fail({ error }) {
            audit.push({
              eventId,
              meta,
              status: 'failed',
              error: error.message,
            });
          },
        };
      },
    });
    signinUrl = jest.fn(
      (uuid: string, role: string, ticket: string, next: string) =>
        `https://${role}--${uuid}.gateway.test/.dev-sessions/signin?${new URLSearchParams(
          { ticket, next },
        )}`,
    );
    const app = express()
      .use(
        createOpenRouter({
          // a request with neither token nor cookie is anonymous, as in a real backend
          httpAuth: mockServices.httpAuth({
            defaultCredentials: mockCredentials.none(),
          }),
          permissions,
          auditor,
          service: {
            find,
            recordActivity: async () => true,
          } as unknown as DevSessionsApi,
          tokens,
          signinUrl,
        }),
      )
      .use(mockErrorHandler());
    server = await new Promise<http.Server>(resolve => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  /** One GET with the path exactly as given. */
  function get(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
          path,
          headers,
          agent: false,
        },
        res => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', c => (body += c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, headers: res.headers, body }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  const errorOf = (a: Answer) => JSON.parse(a.body).error;

  /** Nothing was handed out: no ticket issued, no redirect built. */
  async function expectNoTicket() {
    expect(signinUrl).not.toHaveBeenCalled();
    expect(
      Number((await knex('dev_session_gateway_tokens').count({ n: '*' }))[0].n),
    ).toBe(0);
  }

  it("redirects to the role's sign-in with a one-time ticket for the user, session and role", async () => {
    const res = await get(open('/vscode/a/b?c=1'), as(ALICE));
    expect(res.status).toBe(302);
    expect(signinUrl).toHaveBeenCalledTimes(1);
    const [uuid, role, ticket, next] = signinUrl.mock.calls[0];
    expect([uuid, role, next]).toEqual([UUID, 'vscode', '/a/b?c=1']);
    expect(res.headers.location).toBe(signinUrl.mock.results[0].value);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');

    expect(await tokens.redeemTicket(ticket)).toMatchObject({
      projectUuid: UUID,
      role: 'vscode',
      userRef: ALICE,
    });
    expect(await tokens.redeemTicket(ticket)).toBeUndefined();

    expect(authorize).toHaveBeenCalledWith(
      [{ permission: devSessionReadPermission, resourceRef: UUID }],
      { credentials: expect.anything() },
    );
    expect(audit).toEqual([
      {
        eventId: 'session-open',
        meta: { projectUuid: UUID, role: 'vscode' },
        status: 'succeeded',
        outcome: { owner: ALICE },
      },
    ]);
  });

  it('issues a new ticket on every open', async () => {
    await get(open('/chat/'), as(ALICE));
    await get(open('/chat/'), as(ALICE));
    const [first, second] = signinUrl.mock.calls.map(c => c[2]);
    expect(first).not.toBe(second);
  });

  it.each([
    ['/vscode/a/b?c=1', '/a/b?c=1'],
    ['/vscode', '/'],
    ['/vscode/', '/'],
    ['/vscode?x=1', '/?x=1'],
    ['/vscode/?x=1&y=%2F', '/?x=1&y=%2F'],
    ['/chat/deep/path/', '/deep/path/'],
    ['/preview/a%20b/c%2Fd', '/a%20b/c%2Fd'],
    ['/preview/a?b=../c', '/a?b=../c'],
    ['/preview/open/vscode/x', '/open/vscode/x'],
    // a percent-encoded role is still that role, and the path after it is kept
    ['/vs%63ode/a/b', '/a/b'],
  ])('lands %s at %s', async (rest, next) => {
    const res = await get(open(rest), as(ALICE));
    expect(res.status).toBe(302);
    expect(signinUrl).toHaveBeenCalledWith(
      UUID,
      decodeURIComponent(rest.split(/[/?]/)[1]),
      expect.any(String),
      next,
    );
  });

  it('takes an upper-case project UUID as the same session', async () => {
    const res = await get(open('/vscode/x', UUID.toUpperCase()), as(ALICE));
    expect(res.status).toBe(302);
    expect(signinUrl).toHaveBeenCalledWith(
      UUID,
      'vscode',
      expect.any(String),
      '/x',
    );
    expect(find).toHaveBeenCalledWith(UUID);
  });

  it("takes Backstage's user cookie, as a link opened in a new tab has only that", async () => {
    const res = await get(open('/vscode/'), {
      cookie: mockCredentials.limitedUser.cookie(ALICE),
    });
    expect(res.status).toBe(302);
    const ticket = signinUrl.mock.calls[0][2];
    expect(await tokens.redeemTicket(ticket)).toMatchObject({
      userRef: ALICE,
    });
  });

  it('answers 401 without credentials, and issues nothing', async () => {
    const res = await get(open('/vscode/'));
    expect(res.status).toBe(401);
    expect(authorize).not.toHaveBeenCalled();
    await expectNoTicket();
  });

  it('answers 403 when the user may not read the session', async () => {
    const res = await get(open('/vscode/', OTHER), as(ALICE));
    expect(res.status).toBe(403);
    expect(errorOf(res).name).toBe('NotAllowedError');
    const bob = await get(open('/vscode/'), as(BOB));
    expect(bob.status).toBe(403);
    await expectNoTicket();
    expect(audit.map(a => a.status)).toEqual(['failed', 'failed']);
  });

  it('refuses a service principal', async () => {
    const res = await get(open('/vscode/'), {
      authorization: mockCredentials.service.header(),
    });
    expect(res.status).toBe(403);
    expect(authorize).not.toHaveBeenCalled();
    await expectNoTicket();
  });

  it.each([
    [open('/admin/'), /^Invalid role/],
    [open('/VSCODE/'), /^Invalid role/],
    [open('/vscodex'), /^Invalid role/],
    ['/projects/not-a-uuid/open/vscode/', /^Invalid projectUuid/],
    [`/projects/${UUID}x/open/vscode/`, /^Invalid projectUuid/],
    [open('/vscode/..'), /^Invalid path: .*segments/],
    [open('/vscode/../x'), /^Invalid path: .*segments/],
    [open('/vscode/a/../../b'), /^Invalid path: .*segments/],
    [open('/vscode/%2e%2e'), /^Invalid path: .*segments/],
    [open('/vscode/%2E%2e/x'), /^Invalid path: .*segments/],
    [open('/vscode/a/%2e/b'), /^Invalid path: .*segments/],
    [open('/vscode//x'), /^Invalid path: must not start with "\/\/"/],
    [open('/vscode//evil.com/?a=1'), /^Invalid path: must not start/],
    [open('/vscode/a%5cb'), /^Invalid path: .*backslashes/],
    [open('/vscode/a%00'), /^Invalid path: .*control characters/],
  ])('answers 400 for %s', async (path, message) => {
    const res = await get(path, as(ALICE));
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(message),
    });
    expect(find).not.toHaveBeenCalled();
    await expectNoTicket();
  });

  it('answers 400 for broken percent-encoding (express refuses it before the route)', async () => {
    const res = await get(open('/vscode/a%zz'), as(ALICE));
    expect(res.status).toBe(400);
    expect(find).not.toHaveBeenCalled();
    await expectNoTicket();
  });

  it('answers 404 for a project without a session', async () => {
    const res = await get(
      open('/vscode/', 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a'),
      as(ALICE),
    );
    expect(res.status).toBe(404);
    expect(errorOf(res).name).toBe('NotFoundError');
    await expectNoTicket();
  });

  it('answers 404 for a session being deleted', async () => {
    const res = await get(open('/vscode/', DELETING), as(ALICE));
    expect(res.status).toBe(404);
    await expectNoTicket();
  });
});
