/*
 * The gateway's forwarding between two real local servers: a front server that proxies every
 * request (and upgrade) to an upstream server that records what it got.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { Upstream } from '../cluster/serviceEndpoints';
import { CookieFilter, proxyHttp, proxyUpgrade } from './proxy';

jest.setTimeout(20_000);

const HOST = 'vscode--2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10.localhost:7008';
const hidden: CookieFilter = name =>
  name === 'backstage-auth' || name === 'dev-session';

interface Seen {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

const portOf = (s: net.Server) => (s.address() as AddressInfo).port;

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(portOf(server)));
  });
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise(resolve => server.close(() => resolve()));
}

/** A port nothing listens on (a server listened there and was closed). */
async function deadPort(): Promise<number> {
  const s = http.createServer();
  const port = await listen(s);
  await close(s);
  return port;
}

/** The number of times a header occurs in raw headers (any case). */
const count = (raw: string[], name: string) =>
  raw.filter((v, i) => i % 2 === 0 && v.toLowerCase() === name).length;

interface Answer {
  status: number;
  statusMessage?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request to the front server, exactly as given, on a connection of its own. */
function send(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: http.OutgoingHttpHeaders;
    body?: string;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        agent: false,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { host: HOST, ...options.headers },
      },
      res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', c => (body += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            statusMessage: res.statusMessage,
            headers: res.headers,
            body,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('proxyHttp', () => {
  let upstream: http.Server;
  let front: http.Server;
  let frontPort: number;
  let target: Upstream;
  let seen: Seen[];
  let errors: Error[];
  /** What the upstream answers; records the request first. */
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;

  beforeEach(async () => {
    seen = [];
    errors = [];
    handler = (_req, res) => res.end('hello from upstream');
    upstream = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', c => (body += c));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body,
        });
        handler(req, res);
      });
    });
    target = { host: '127.0.0.1', port: await listen(upstream) };
    front = http.createServer((req, res) =>
      proxyHttp(req, res, target, hidden, e => errors.push(e)),
    );
    frontPort = await listen(front);
  });

  afterEach(async () => {
    await close(front);
    await close(upstream);
  });

  it('forwards method, path with query, Host and body, and returns status and body', async () => {
    handler = (_req, res) => {
      res.writeHead(201, 'Made It', { 'x-upstream': 'yes' });
      res.end('created');
    };
    const res = await send(frontPort, {
      method: 'PUT',
      path: '/a/b%20c?d=1&e=%2F',
      headers: { 'content-type': 'text/plain', 'x-custom': 'kept' },
      body: 'the body',
    });
    expect(res).toMatchObject({
      status: 201,
      statusMessage: 'Made It',
      body: 'created',
    });
    expect(res.headers['x-upstream']).toBe('yes');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'PUT',
      url: '/a/b%20c?d=1&e=%2F',
      body: 'the body',
    });
    expect(seen[0].headers).toMatchObject({
      host: HOST,
      'content-type': 'text/plain',
      'x-custom': 'kept',
    });
    expect(errors).toEqual([]);
  });

  it('forwards a chunked request body whole', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: frontPort,
          agent: false,
          method: 'POST',
          path: '/upload',
          headers: { host: HOST, 'transfer-encoding': 'chunked' },
        },
        res => {
          res.resume();
          res.on('end', () => resolve(seen[0]?.body));
        },
      );
      req.on('error', reject);
      req.write('part one, ');
      req.end('part two');
    });
    expect(body).toBe('part one, part two');
  });

  it('passes the cookies on without the hidden ones', async () => {
    await send(frontPort, {
      headers: {
        cookie:
          'a=1; backstage-auth=secret-token; b=two=2;dev-session=gateway-token ;  c=3',
      },
    });
    expect(seen[0].headers.cookie).toBe('a=1; b=two=2; c=3');
    expect(JSON.stringify(seen[0].rawHeaders)).not.toMatch(
      /secret-token|gateway-token/,
    );
  });

  it('drops the Cookie header when only hidden cookies were sent', async () => {
    await send(frontPort, {
      headers: { cookie: 'backstage-auth=secret; dev-session=token' },
    });
    expect(seen[0].headers.cookie).toBeUndefined();
    expect(count(seen[0].rawHeaders, 'cookie')).toBe(0);
  });

  it('keeps a cookie whose name merely contains a hidden one', async () => {
    await send(frontPort, {
      headers: { cookie: 'my-dev-session=1; backstage-auth-x=2' },
    });
    expect(seen[0].headers.cookie).toBe('my-dev-session=1; backstage-auth-x=2');
  });

  it('adds X-Forwarded-Host, -Proto and -For, replacing what the client sent', async () => {
    await send(frontPort, {
      headers: {
        'x-forwarded-host': 'evil.example.com',
        'x-forwarded-proto': 'https',
        'x-forwarded-for': '6.6.6.6',
        'X-Forwarded-Port': '1',
      },
    });
    const { headers, rawHeaders } = seen[0];
    expect(headers['x-forwarded-host']).toBe(HOST);
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-port']).toBeUndefined();
    for (const h of [
      'x-forwarded-host',
      'x-forwarded-proto',
      'x-forwarded-for',
    ])
      expect(count(rawHeaders, h)).toBe(1);
  });

  it('does not forward hop-by-hop headers', async () => {
    await send(frontPort, {
      headers: {
        connection: 'close, x-marker',
        'x-marker': 'named by Connection, so hop-by-hop',
        'proxy-authorization': 'Basic c2VjcmV0',
        'proxy-connection': 'keep-alive',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        upgrade: 'h2c',
      },
    });
    const { headers } = seen[0];
    expect(headers['proxy-authorization']).toBeUndefined();
    expect(headers['proxy-connection']).toBeUndefined();
    expect(headers['keep-alive']).toBeUndefined();
    expect(headers.te).toBeUndefined();
    expect(headers.upgrade).toBeUndefined();
    expect(headers['x-marker']).toBeUndefined();
    // what Connection the upstream sees is the proxy's own, not the client's
    expect(headers.connection ?? '').not.toMatch(/x-marker|close/);
    expect(JSON.stringify(seen[0].rawHeaders)).not.toMatch(/c2VjcmV0/);
  });

  it('drops response cookies with a Domain attribute or a hidden name, keeps the others', async () => {
    handler = (_req, res) => {
      res.setHeader('set-cookie', [
        'ok=1; Path=/',
        'parent=1; Domain=example.com; Path=/',
        'lower=1; path=/; domain=.localhost',
        'upper=1; Path=/;  DOMAIN=example.com',
        'spaced=1; Path=/;  Domain = example.com',
        'dev-session=forged; Path=/; HttpOnly',
        'backstage-auth=forged',
        'also-ok=2; HttpOnly; SameSite=Lax; Secure',
        'domainish=1; Path=/domain=x',
      ]);
      res.end('ok');
    };
    const res = await send(frontPort);
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toEqual([
      'ok=1; Path=/',
      'also-ok=2; HttpOnly; SameSite=Lax; Secure',
      'domainish=1; Path=/domain=x',
    ]);
  });

  it('does not pass hop-by-hop response headers on', async () => {
    handler = (_req, res) => {
      res.writeHead(200, {
        'keep-alive': 'timeout=99',
        'proxy-authenticate': 'Basic realm="x"',
        'x-kept': '1',
      });
      res.end('ok');
    };
    const res = await send(frontPort);
    expect(res.headers['keep-alive']).not.toBe('timeout=99');
    expect(res.headers['proxy-authenticate']).toBeUndefined();
    expect(res.headers['x-kept']).toBe('1');
  });

  it('streams the body: the client gets the first part before the upstream sends the rest', async () => {
    let sendRest!: () => void;
    const restAsked = new Promise<void>(r => (sendRest = r));
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part;');
      // the rest only once the client has seen the first part: a buffering proxy never gets there
      restAsked.then(() => res.end('second part'));
    };
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: frontPort,
          agent: false,
          path: '/stream',
          headers: { host: HOST },
        },
        res => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', c => {
            text += c;
            if (text === 'first part;') sendRest();
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('first part;second part');
  });

  it('answers 502 and reports the error when the upstream is down', async () => {
    target.port = await deadPort();
    const res = await send(frontPort, { path: '/x' });
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/did not answer/);
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

/**
 * What came back on a raw socket, as text (one char per byte), once it matches `until` (a
 * pattern, or text it ends with).
 */
function readUntil(
  socket: net.Socket,
  until: RegExp | string,
): Promise<string> {
  const done = (text: string) =>
    typeof until === 'string' ? text.endsWith(until) : until.test(text);
  return new Promise((resolve, reject) => {
    let text = '';
    const onClose = () =>
      reject(
        new Error(
          `closed before ${until} matched; got ${JSON.stringify(text)}`,
        ),
      );
    const onData = (c: Buffer) => {
      text += c.toString('latin1');
      if (done(text)) {
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', reject);
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

describe('proxyUpgrade', () => {
  let upstream: http.Server;
  let front: http.Server;
  let frontPort: number;
  let target: Upstream;
  let seen: Seen[];
  let errors: Error[];
  let clients: net.Socket[];
  /** The upstream's upgraded sockets (no longer the server's to close). */
  let upgraded: net.Socket[];

  beforeEach(async () => {
    seen = [];
    errors = [];
    clients = [];
    upgraded = [];
    // answers 101, then echoes every byte (the bytes that came with the head first)
    upstream = http.createServer((_req, res) => res.end('not an upgrade'));
    upstream.on('upgrade', (req, socket: net.Socket, head: Buffer) => {
      upgraded.push(socket);
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: '',
      });
      if (req.url === '/refuse') {
        socket.end(
          'HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnope',
        );
        return;
      }
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      );
      if (head.length) socket.write(head);
      socket.pipe(socket);
    });
    target = { host: '127.0.0.1', port: await listen(upstream) };
    front = http.createServer((_req, res) => res.end('not an upgrade'));
    front.on('upgrade', (req, socket: net.Socket, head: Buffer) =>
      proxyUpgrade(req, socket, head, target, hidden, e => errors.push(e)),
    );
    frontPort = await listen(front);
  });

  afterEach(async () => {
    for (const c of [...clients, ...upgraded]) c.destroy();
    await close(front);
    await close(upstream);
  });

  const upgradeRequest = (path = '/socket', extra: string[] = []) =>
    [
      `GET ${path} HTTP/1.1`,
      `Host: ${HOST}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      ...extra,
      '',
      '',
    ].join('\r\n');

  it('relays the 101 and then raw bytes both ways', async () => {
    const client = await connect(frontPort);
    clients.push(client);
    client.write(
      upgradeRequest('/socket?x=1', [
        'Cookie: a=1; dev-session=gateway-token; backstage-auth=secret; b=2',
        'Proxy-Authorization: Basic c2VjcmV0',
        'X-Forwarded-Host: evil.example.com',
      ]),
    );
    const head = await readUntil(client, /\r\n\r\n/);
    expect(head).toMatch(/^HTTP\/1\.1 101 /);

    const binary = 'ping \u0000\u00ff';
    client.write(Buffer.from(binary, 'latin1'));
    expect(await readUntil(client, binary)).toBe(binary);
    client.write('again');
    expect(await readUntil(client, 'again')).toBe('again');

    expect(seen).toHaveLength(1);
    const { url, headers, rawHeaders } = seen[0];
    expect(url).toBe('/socket?x=1');
    expect(headers).toMatchObject({
      host: HOST,
      upgrade: 'websocket',
      connection: 'Upgrade',
      cookie: 'a=1; b=2',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'x-forwarded-host': HOST,
      'x-forwarded-proto': 'http',
      'x-forwarded-for': '127.0.0.1',
    });
    expect(headers['proxy-authorization']).toBeUndefined();
    expect(count(rawHeaders, 'connection')).toBe(1);
    expect(count(rawHeaders, 'x-forwarded-host')).toBe(1);
    expect(errors).toEqual([]);
  });

  it('forwards the bytes that arrived with the request head', async () => {
    const client = await connect(frontPort);
    clients.push(client);
    client.write(`${upgradeRequest()}early bytes`);
    const text = await readUntil(client, /early bytes/);
    expect(text).toMatch(/^HTTP\/1\.1 101 [^]*\r\n\r\nearly bytes$/);
  });

  it("passes the upstream's refusal back unchanged", async () => {
    const client = await connect(frontPort);
    clients.push(client);
    client.write(upgradeRequest('/refuse'));
    const text = await readUntil(client, /nope$/);
    expect(text).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
  });

  it('closes the client when the upstream closes', async () => {
    const client = await connect(frontPort);
    clients.push(client);
    client.write(upgradeRequest());
    await readUntil(client, /\r\n\r\n/);
    const closed = new Promise<void>(r => client.once('close', () => r()));
    expect(upgraded).toHaveLength(1);
    upgraded[0].destroy();
    await closed;
  });

  it('answers 502 when the upstream is down', async () => {
    target.port = await deadPort();
    const client = await connect(frontPort);
    clients.push(client);
    client.write(upgradeRequest());
    const text = await readUntil(client, /\r\n\r\n/);
    expect(text).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});
