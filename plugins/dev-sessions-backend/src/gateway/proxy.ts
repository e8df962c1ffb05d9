import * as http from 'node:http';
import * as net from 'node:net';
import { Upstream } from '../cluster/serviceEndpoints';

/** Headers that belong to one connection, never forwarded (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers a Connection header names are hop-by-hop too (RFC 9110 7.6.1). */
function connectionNamed(
  connection: string | string[] | undefined,
): Set<string> {
  return new Set(
    String(connection ?? '')
      .split(',')
      .map(h => h.trim().toLowerCase())
      .filter(h => h && h !== 'upgrade'),
  );
}

/** Cookie names the workspace never sees: the gateway's sign-in and Backstage's own. */
export type CookieFilter = (name: string) => boolean;

function withoutCookies(header: string, hidden: CookieFilter): string {
  return header
    .split(';')
    .map(c => c.trim())
    .filter(c => c && !hidden(c.split('=')[0].trim()))
    .join('; ');
}

/** The request headers the workspace gets: ours removed, the forwarding ones added. */
function forwardHeaders(
  req: http.IncomingMessage,
  hidden: CookieFilter,
  upgrade: boolean,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const raw = req.rawHeaders;
  const named = connectionNamed(req.headers.connection);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    let value = raw[i + 1];
    if (HOP_BY_HOP.has(lower) && !(upgrade && lower === 'upgrade')) continue;
    if (named.has(lower)) continue;
    if (lower.startsWith('x-forwarded-')) continue;
    if (lower === 'cookie') {
      value = withoutCookies(value, hidden);
      if (!value) continue;
    }
    out.push([name, value]);
  }
  if (upgrade) out.push(['Connection', 'Upgrade']);
  const secure = (req.socket as { encrypted?: boolean }).encrypted;
  out.push(
    ['X-Forwarded-For', req.socket.remoteAddress ?? ''],
    ['X-Forwarded-Host', req.headers.host ?? ''],
    ['X-Forwarded-Proto', secure ? 'https' : 'http'],
  );
  return out;
}

/**
 * Response cookies a workspace may not set: any with a Domain attribute (a session's origin
 * must not toss cookies onto its parent domain, where Backstage lives) and the hidden names.
 */
function allowedSetCookie(value: string, hidden: CookieFilter): boolean {
  const [pair, ...attrs] = value.split(';');
  if (hidden(pair.split('=')[0].trim())) return false;
  // browsers trim around attribute names (RFC 6265 5.2): `; DOMAIN = x` is a Domain too
  return !attrs.some(a => a.split('=')[0].trim().toLowerCase() === 'domain');
}

/** Forwards one HTTP request to the workspace server and streams its answer back. */
export function proxyHttp(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstream: Upstream,
  hidden: CookieFilter,
  onError: (e: Error) => void,
): void {
  const headers = forwardHeaders(req, hidden, false);
  const out = http.request(
    {
      host: upstream.host,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: headers.flat() as unknown as http.OutgoingHttpHeaders,
    },
    up => {
      const resHeaders: string[] = [];
      const raw = up.rawHeaders;
      const named = connectionNamed(up.headers.connection);
      for (let i = 0; i < raw.length; i += 2) {
        const lower = raw[i].toLowerCase();
        if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
        if (lower === 'set-cookie' && !allowedSetCookie(raw[i + 1], hidden))
          continue;
        resHeaders.push(raw[i], raw[i + 1]);
      }
      res.writeHead(up.statusCode ?? 502, up.statusMessage, resHeaders);
      up.pipe(res);
    },
  );
  out.on('error', e => {
    onError(e);
    if (res.headersSent) res.destroy();
    else {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The workspace server did not answer\n');
    }
  });
  req.on('aborted', () => out.destroy());
  req.pipe(out);
}

/**
 * Forwards a protocol upgrade (WebSocket): replays the request head to the workspace server,
 * then pipes both directions; the server's own 101 (or refusal) goes back unchanged.
 */
export function proxyUpgrade(
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
  upstream: Upstream,
  hidden: CookieFilter,
  onError: (e: Error) => void,
): void {
  let connected = false;
  const out = net.connect(upstream.port, upstream.host, () => {
    connected = true;
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (const [k, v] of forwardHeaders(req, hidden, true))
      lines.push(`${k}: ${v}`);
    out.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) out.write(head);
    out.pipe(socket);
    socket.pipe(out);
  });
  const close = () => {
    out.destroy();
    socket.destroy();
  };
  out.on('error', e => {
    onError(e);
    if (!connected)
      socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n');
    close();
  });
  socket.on('error', close);
  out.on('close', close);
  socket.on('close', close);
}
