/*
 * The way into a session, for real: a session on the local cluster whose VS Code Service points
 * at a stand-in server on this machine (the cluster runs no containers), the real permission
 * backend with the app's owner-scoped policy, the plugin's open route and its gateway. Alice
 * owns the session; Bob is signed in but may not read it; a request without sign-in is anonymous.
 */
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  pointServiceAt,
  StandIn,
  startDevSessionsTestBackend,
  startStandIn,
} from '@dev-sessions/integration-tests';
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { Socket } from 'node:net';
import request from 'supertest';
import { devSessionsPlugin } from '../plugin';
import { ownerScopedFeatures } from '../__testUtils__/ownerScoped';

jest.setTimeout(300_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const groups = { [ALICE]: [], [BOB]: [] };

let server: http.Server;
let standIn: StandIn;
const uuid = randomUUID();
const other = randomUUID();

beforeAll(async () => {
  standIn = await startStandIn('vscode stand-in');
  ({ server } = (await startDevSessionsTestBackend({
    features: [
      devSessionsPlugin,
      ...ownerScopedFeatures({ groups, admins: [] }),
      // a request with neither token nor cookie is anonymous, as in a real backend
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
    ],
    config: { permission: { enabled: true } },
  })) as any);
  const created = await request(server)
    .put(`/api/dev-sessions/projects/${uuid}/session?wait=true`)
    .set('Authorization', mockCredentials.user.header(ALICE))
    .send({ projectId: 'gateway', size: 'small' });
  if (created.status !== 201 || created.body.state !== 'ready')
    throw new Error(
      `creating the session failed: ${JSON.stringify(created.body)}`,
    );
  await pointServiceAt(uuid, 'dev-session-vscode', standIn);
});

afterAll(async () => {
  await request(server)
    .delete(`/api/dev-sessions/projects/${uuid}/session?wait=true`)
    .set('Authorization', mockCredentials.user.header(ALICE));
  await standIn?.close();
});

const backendPort = () => (server.address() as any).port as number;
const cookieOf = (user: string) => mockCredentials.limitedUser.cookie(user);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request exactly as given (no URL normalisation), to 127.0.0.1 with a Host header. */
function raw(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, headers, agent: false },
      res => {
        let body = '';
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

/** The open route of the backend, as a browser would call it (with Backstage's user cookie). */
const open = (path: string, user?: string) =>
  raw(
    backendPort(),
    `/api/dev-sessions/projects/${path}`,
    user ? { cookie: cookieOf(user) } : {},
  );

/** Where the open route sent the browser: the gateway's port, the Host and the path. */
function gatewayTarget(location: string) {
  const u = new URL(location);
  return {
    port: Number(u.port),
    host: u.host,
    path: `${u.pathname}${u.search}`,
  };
}

/** Alice's sign-in on the VS Code origin: open route, then the gateway's sign-in URL. */
async function signIn(path = '') {
  const opened = await open(`${uuid}/open/vscode/${path}`, ALICE);
  expect(opened.status).toBe(302);
  const target = gatewayTarget(opened.headers.location!);
  const signedIn = await raw(target.port, target.path, { host: target.host });
  expect(signedIn.status).toBe(302);
  const cookie = String(signedIn.headers['set-cookie']).split(';')[0];
  return { target, signedIn, cookie };
}

/** A WebSocket handshake and one text message through the gateway. */
function websocket(
  port: number,
  host: string,
  headers: Record<string, string>,
  text: string,
): Promise<{ status: number; reply?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      agent: false,
      path: '/socket?x=1',
      headers: {
        host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('response', res => {
      res.resume();
      res.on('end', () => res.socket?.destroy());
      resolve({ status: res.statusCode! });
    });
    req.on('upgrade', (res, socket: Socket) => {
      const payload = Buffer.from(text);
      const mask = randomBytes(4);
      const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
      socket.write(
        Buffer.concat([
          Buffer.from([0x81, 0x80 | payload.length]),
          mask,
          masked,
        ]),
      );
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const len = buf[1] & 0x7f;
        if (buf.length < 2 + len) return;
        socket.destroy();
        resolve({
          status: res.statusCode!,
          reply: buf.subarray(2, 2 + len).toString(),
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the way into a session', () => {
  it('links people to the signed-in open route, never to the in-cluster address', async () => {
    const s = await request(server)
      .get(`/api/dev-sessions/projects/${uuid}/session`)
      .set('Authorization', mockCredentials.user.header(ALICE));
    expect(s.body.endpoints.vscode.url).toBe(
      `http://localhost:${backendPort()}/api/dev-sessions/projects/${uuid}/open/vscode/`,
    );
    expect(s.body.endpoints.vscode.internalUrl).toBe(
      `http://dev-session-vscode.${uuid}.svc.cluster.local:8080/`,
    );
  });

  it('answers 401 without sign-in and 403 to a signed-in user who may not read the session', async () => {
    const anonymous = await open(`${uuid}/open/vscode/`);
    expect(anonymous.status).toBe(401);
    const bob = await open(`${uuid}/open/vscode/`, BOB);
    expect(bob.status).toBe(403);
    expect(standIn.requests).toEqual([]);
  });

  it("brings the owner to the workspace server in one click: open route → sign-in on the role's own origin → the server", async () => {
    const { target, signedIn, cookie } = await signIn('src/app.ts?line=3');
    expect(target.host).toMatch(
      new RegExp(`^vscode--${uuid}\\.localhost:\\d+$`),
    );
    expect(signedIn.headers.location).toBe('/src/app.ts?line=3');
    expect(signedIn.headers['set-cookie']?.[0]).toMatch(
      /^dev-session=[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Expires=/,
    );
    const page = await raw(target.port, '/src/app.ts?line=3', {
      host: target.host,
      cookie: `${cookie}; theme=dark; ${cookieOf(ALICE)}`,
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain('vscode stand-in: GET /src/app.ts?line=3');
    const seen = standIn.requests.at(-1)!;
    // the workspace keeps its own cookies but never sees the sign-in nor Backstage's cookie
    expect(seen.headers.cookie).toBe('theme=dark');
    expect(seen.headers.host).toBe(target.host);
    expect(seen.headers['x-forwarded-host']).toBe(target.host);
  });

  it('passes WebSockets through for the signed-in owner only', async () => {
    const { target, cookie } = await signIn();
    const ws = await websocket(target.port, target.host, { cookie }, 'hello');
    expect(ws).toEqual({ status: 101, reply: 'echo: hello' });
    expect(standIn.requests.at(-1)).toMatchObject({ url: '/socket?x=1' });
    expect(standIn.requests.at(-1)!.headers.cookie).toBeUndefined();

    const count = standIn.requests.length;
    expect(
      (await websocket(target.port, target.host, {}, 'hello')).status,
    ).toBe(401);
    expect(standIn.requests.length).toBe(count);
  });

  it('uses a sign-in link once, and keeps a sign-in to its own session and role', async () => {
    const { target, cookie } = await signIn();
    const again = await raw(target.port, target.path, { host: target.host });
    expect(again.status).toBe(403);
    expect(again.body).toMatch(/used already or has expired/);
    const port = target.port;
    const chat = await raw(port, '/', {
      host: `chat--${uuid}.localhost:${port}`,
      cookie,
    });
    expect(chat.status).toBe(403);
    const elsewhere = await raw(port, '/', {
      host: `vscode--${other}.localhost:${port}`,
      cookie,
    });
    expect(elsewhere.status).toBe(403);
  });

  it('sends a page load without sign-in back through Backstage, and refuses other requests with 401', async () => {
    const { target } = await signIn();
    const page = await raw(target.port, '/docs/?q=1', {
      host: target.host,
      'sec-fetch-mode': 'navigate',
    });
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe(
      `http://localhost:${backendPort()}/api/dev-sessions/projects/${uuid}/open/vscode/docs/?q=1`,
    );
    const xhr = await raw(target.port, '/api/files', {
      host: target.host,
      accept: 'application/json',
    });
    expect(xhr.status).toBe(401);
  });

  it.each([
    ['dot segments', () => `${uuid}/open/vscode/../../${other}/open/vscode/`],
    ['encoded dot segments', () => `${uuid}/open/vscode/%2e%2e/%2E%2E/x`],
    [
      'a second leading slash (another host)',
      () => `${uuid}/open/vscode//evil.example.com/`,
    ],
    ['a backslash', () => `${uuid}/open/vscode/%5c%5cevil.example.com`],
  ])('answers 400 to a path with %s on the open route', async (_what, path) => {
    const res = await open(path(), ALICE);
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/Invalid path/);
  });

  it("answers 403 to another project's UUID and 400 to an unknown role", async () => {
    expect((await open(`${other}/open/vscode/`, ALICE)).status).toBe(403);
    const role = await open(`${uuid}/open/shell/`, ALICE);
    expect(role.status).toBe(400);
    expect(role.body).toMatch(
      /Invalid role: must be one of preview, chat, vscode/,
    );
  });

  it('answers 400 on the gateway to absolute URLs, dot segments and an off-origin next', async () => {
    const { target, cookie } = await signIn();
    const h = { host: target.host, cookie };
    expect((await raw(target.port, 'http://evil.example.com/', h)).status).toBe(
      400,
    );
    expect((await raw(target.port, '/a/../../b', h)).status).toBe(400);
    expect((await raw(target.port, '/a/%2e%2e/b', h)).status).toBe(400);
    const next = await raw(
      target.port,
      `/.dev-sessions/signin?ticket=x&next=${encodeURIComponent(
        'https://evil.example.com/',
      )}`,
      h,
    );
    expect(next.status).toBe(400);
    // next becomes a Location header: anything but printable ASCII is refused, not a hang
    const unicode = await raw(
      target.port,
      `/.dev-sessions/signin?ticket=x&next=${encodeURIComponent('/€')}`,
      h,
    );
    expect(unicode.status).toBe(400);
    const unknownHost = await raw(target.port, '/', {
      host: `localhost:${target.port}`,
      cookie,
    });
    expect(unknownHost.status).toBe(404);
  });

  it('ends every sign-in when the session is deleted', async () => {
    const { target, cookie } = await signIn();
    expect(
      (await raw(target.port, '/', { host: target.host, cookie })).status,
    ).toBe(200);
    const del = await request(server)
      .delete(`/api/dev-sessions/projects/${uuid}/session?wait=true`)
      .set('Authorization', mockCredentials.user.header(ALICE));
    expect(del.status).toBe(204);
    const after = await raw(target.port, '/', { host: target.host, cookie });
    expect([401, 404]).toContain(after.status);
    expect((await open(`${uuid}/open/vscode/`, ALICE)).status).toBe(403);
  });
});
