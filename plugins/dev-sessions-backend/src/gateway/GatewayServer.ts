import { LoggerService } from '@backstage/backend-plugin-api';
import { DevSessionRole } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { Upstream } from '../cluster/serviceEndpoints';
import { GatewaySettings } from '../config/settings';
import { GatewayGrant, GatewayTokenStore } from '../database/GatewayTokenStore';
import { GatewayOrigins } from './GatewayOrigins';
import { workspacePathProblem } from './paths';
import { proxyHttp, proxyUpgrade } from './proxy';
import { SessionLinks } from './SessionLinks';
import { Upstreams } from './Upstreams';

/** Where the open route sends the browser with its one-time ticket. */
export const SIGNIN_PATH = '/.dev-sessions/signin';
/** Backstage's user cookie (scoped to its backend's host, which may cover ours): never forwarded. */
const BACKSTAGE_COOKIE = 'backstage-auth';

type Decision =
  | { kind: 'proxy'; upstream: Upstream }
  | {
      kind: 'respond';
      status: number;
      message: string;
      headers?: Record<string, string>;
    };

const respond = (
  status: number,
  message: string,
  headers?: Record<string, string>,
): Decision => ({ kind: 'respond', status, message, headers });

/** A top-level page load, which may be sent through Backstage to sign in again. */
function isNavigation(req: http.IncomingMessage): boolean {
  const mode = req.headers['sec-fetch-mode'];
  if (mode) return mode === 'navigate';
  return String(req.headers.accept ?? '').includes('text/html');
}

function cookieValue(req: http.IncomingMessage, name: string) {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * The signed-in gateway: a listener of its own that serves every role of every session on its
 * own origin (`{role}--{projectUuid}.<domain>`) and forwards to the role's ready endpoint.
 *
 * Nobody gets in without Backstage: the plugin's open route checks the user's Backstage sign-in
 * and read permission on the session, then sends the browser here with a one-time ticket; the
 * gateway trades it for a sign-in cookie on that one origin. Requests (and WebSockets) without
 * a valid sign-in for that very session and role get 401 (page loads go back through
 * Backstage); a sign-in for another session or role gets 403.
 */
export class GatewayServer {
  private server?: http.Server;
  /** Every client socket, upgraded ones too (the server stops tracking those). */
  private readonly sockets = new Set<net.Socket>();
  private originsValue?: GatewayOrigins;
  private readonly signins = new Map<
    string,
    { until: number; grant?: GatewayGrant }
  >();

  constructor(
    private readonly deps: {
      settings: GatewaySettings;
      tokens: GatewayTokenStore;
      upstreams: Upstreams;
      links: SessionLinks;
      logger: LoggerService;
      /**
       * Called when a signed-in request reaches a session (a use of it), at most once per
       * `activityEveryMs` (default 30 s) per session and replica.
       */
      onActivity?: (projectUuid: string) => Promise<unknown>;
      activityEveryMs?: number;
    },
  ) {}

  private readonly activityAt = new Map<string, number>();

  private used(projectUuid: string) {
    const now = Date.now();
    const every = this.deps.activityEveryMs ?? 30_000;
    if (now - (this.activityAt.get(projectUuid) ?? 0) < every) return;
    this.activityAt.set(projectUuid, now);
    this.deps
      .onActivity?.(projectUuid)
      .catch(e =>
        this.deps.logger.warn(
          `Could not record the use of dev session ${projectUuid}: ${e}`,
        ),
      );
  }

  /** The origins, known once the gateway listens (the default one has the bound port). */
  get origins(): GatewayOrigins {
    if (!this.originsValue)
      throw new Error('The dev-sessions gateway is not listening yet');
    return this.originsValue;
  }

  private get cookieName() {
    return this.origins.secure ? '__Host-dev-session' : 'dev-session';
  }

  private readonly hiddenCookie = (name: string) =>
    name === BACKSTAGE_COOKIE || name === this.cookieName;

  async start(): Promise<number> {
    const { listen, origin } = this.deps.settings;
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('upgrade', (req, socket: net.Socket, head) =>
      this.onUpgrade(req, socket, head),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => resolve());
    });
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.originsValue = new GatewayOrigins(
      origin ?? `http://{role}--{projectUuid}.localhost:${port}`,
    );
    this.deps.logger.info(
      `Dev-sessions gateway listening on port ${port}: ${this.originsValue.pattern}`,
    );
    return port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise(resolve => server.close(resolve));
    // open WebSockets and kept-alive connections would hold the close forever
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** The URL that trades a ticket for a sign-in on the role's origin, then shows `next`. */
  signinUrl(
    projectUuid: string,
    role: DevSessionRole,
    ticket: string,
    next: string,
  ): string {
    const q = new URLSearchParams({ ticket, next });
    return `${this.origins.origin(projectUuid, role)}${SIGNIN_PATH}?${q}`;
  }

  private async signedIn(
    req: http.IncomingMessage,
  ): Promise<GatewayGrant | undefined> {
    const token = cookieValue(req, this.cookieName);
    if (!token) return undefined;
    const now = Date.now();
    const hit = this.signins.get(token);
    if (hit && hit.until > now) return hit.grant;
    const grant = await this.deps.tokens.findSignin(token);
    if (this.signins.size > 10_000) this.signins.clear();
    this.signins.set(token, {
      until: Math.min(now + 30_000, grant?.expiresAt ?? Infinity),
      grant,
    });
    return grant;
  }

  private async signin(
    at: { projectUuid: string; role: DevSessionRole },
    params: URLSearchParams,
  ): Promise<Decision> {
    const next = params.get('next') ?? '/';
    const problem =
      workspacePathProblem(next) ??
      // it becomes a Location header: printable ASCII only (the open route sends it encoded)
      (/[^\x21-\x7e]/.test(next) ? 'must be printable ASCII' : undefined);
    if (problem) return respond(400, `Invalid next: ${problem}`);
    const ticket = params.get('ticket');
    const grant = ticket
      ? await this.deps.tokens.redeemTicket(ticket)
      : undefined;
    if (!grant)
      return respond(
        403,
        'This sign-in link was used already or has expired: open the session again from Backstage',
      );
    if (grant.projectUuid !== at.projectUuid || grant.role !== at.role)
      return respond(403, 'This sign-in link is for another session or role');
    const { token, expiresAt } = await this.deps.tokens.issueSignin(
      {
        projectUuid: grant.projectUuid,
        role: grant.role,
        userRef: grant.userRef,
      },
      this.deps.settings.cookieTtlMs,
    );
    const cookie = [
      `${this.cookieName}=${token}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      `Expires=${new Date(expiresAt).toUTCString()}`,
      ...(this.origins.secure ? ['Secure'] : []),
    ].join('; ');
    return respond(302, `Signed in; continue at ${next}`, {
      location: next,
      'set-cookie': cookie,
      'referrer-policy': 'no-referrer',
    });
  }

  /** What to do with a request: forward it, or answer it here (and why). */
  async decide(req: http.IncomingMessage): Promise<Decision> {
    const at = this.origins.parseHost(req.headers.host);
    if (!at)
      return respond(
        404,
        'This is the dev-sessions gateway: it answers only on the addresses of sessions',
      );
    const target = req.url ?? '';
    const problem = workspacePathProblem(target);
    if (problem) return respond(400, `Invalid path: ${problem}`);
    const url = new URL(target, 'http://gateway.invalid');
    if (url.pathname === SIGNIN_PATH) return this.signin(at, url.searchParams);

    const grant = await this.signedIn(req);
    if (!grant) {
      if (req.method === 'GET' && isNavigation(req)) {
        // sign in again through Backstage, which checks the permission anew
        const back = this.deps.links.open(at.projectUuid, at.role);
        return respond(302, 'Sign in through Backstage', {
          location: `${back}${target.slice(1)}`,
        });
      }
      return respond(
        401,
        'Not signed in to this dev session: open it from Backstage',
      );
    }
    if (grant.projectUuid !== at.projectUuid || grant.role !== at.role)
      return respond(403, 'Your sign-in is for another session or role');
    const resolution = await this.deps.upstreams.resolve(
      at.projectUuid,
      at.role,
    );
    if ('status' in resolution)
      return respond(resolution.status, resolution.message);
    this.used(at.projectUuid);
    return { kind: 'proxy', upstream: resolution.upstream };
  }

  private async safeDecide(req: http.IncomingMessage): Promise<Decision> {
    try {
      return await this.decide(req);
    } catch (e) {
      this.deps.logger.warn(`Dev-sessions gateway: ${e}`);
      return respond(503, 'The dev-sessions gateway cannot serve this now');
    }
  }

  private readonly proxyError = (e: Error) =>
    this.deps.logger.debug(`Dev-sessions gateway upstream error: ${e}`);

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse) {
    const d = await this.safeDecide(req);
    try {
      if (d.kind === 'proxy') {
        proxyHttp(req, res, d.upstream, this.hiddenCookie, this.proxyError);
        return;
      }
      res.writeHead(d.status, {
        'content-type': 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
        ...d.headers,
      });
      res.end(`${d.message}\n`);
    } catch (e) {
      this.deps.logger.warn(`Dev-sessions gateway could not answer: ${e}`);
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('The dev-sessions gateway could not answer\n');
      }
    }
  }

  private async onUpgrade(
    req: http.IncomingMessage,
    socket: net.Socket,
    head: Buffer,
  ) {
    socket.on('error', () => socket.destroy());
    const d = await this.safeDecide(req);
    if (d.kind === 'proxy') {
      proxyUpgrade(
        req,
        socket,
        head,
        d.upstream,
        this.hiddenCookie,
        this.proxyError,
      );
      return;
    }
    const body = `${d.message}\n`;
    socket.end(
      [
        `HTTP/1.1 ${d.status} ${http.STATUS_CODES[d.status]}`,
        'Content-Type: text/plain; charset=utf-8',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  }
}
