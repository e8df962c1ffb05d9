/**
 * A stand-in for a session's workspace server. The local cluster runs no containers (kwok only
 * pretends), so tests of the way into a session serve the role from this process instead: an
 * HTTP server on this machine's first non-loopback address (the API server refuses loopback
 * endpoints), which a Service of the session is pointed at through an EndpointSlice.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import { kubectl, kubectlApply, kubectlJson, waitFor } from './index';

/** What the stand-in saw of one request. @public */
export interface StandInRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A running stand-in server. @public */
export interface StandIn {
  host: string;
  port: number;
  /** Every HTTP request and WebSocket handshake it received, in order. */
  requests: StandInRequest[];
  close(): Promise<void>;
}

/** This machine's first non-internal IPv4 address. @public */
export function externalIPv4(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  throw new Error(
    'The stand-in needs a non-loopback IPv4 address on this machine (the API server refuses loopback endpoints)',
  );
}

/** A WebSocket text frame from the server (unmasked). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('stand-in frames are short');
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

/** The text of one short masked client frame, or undefined when it is not complete yet. */
export function readClientFrame(buf: Buffer): string | undefined {
  if (buf.length < 6) return undefined;
  const len = buf[1] & 0x7f;
  const masked = (buf[1] & 0x80) !== 0;
  const start = masked ? 6 : 2;
  if (buf.length < start + len) return undefined;
  const data = Buffer.from(buf.subarray(start, start + len));
  if (masked) {
    const mask = buf.subarray(2, 6);
    for (let i = 0; i < data.length; i++) data[i] ^= mask[i % 4];
  }
  return data.toString();
}

/**
 * Starts the stand-in: HTTP requests get `<name>: <method> <url>` and a JSON echo of what
 * arrived; a WebSocket handshake is accepted and every text frame is answered with
 * `echo: <text>`. @public
 */
export async function startStandIn(name: string): Promise<StandIn> {
  const host = externalIPv4();
  const requests: StandInRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><title>${name}</title><h1 id="stand-in">${name}: ${req.method} ${req.url}</h1>`,
    );
  });
  server.on('connection', s => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket: Socket) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers });
    const accept = createHash('sha1')
      .update(
        `${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`,
      )
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const text = readClientFrame(buf);
      if (text === undefined) return;
      buf = Buffer.alloc(0);
      socket.write(textFrame(`echo: ${text}`));
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>(resolve => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise(resolve => server.close(resolve));
    },
  };
}

/**
 * Points a Service of the test cluster at the stand-in: gives it a selector that matches no pod
 * (so the endpoint controller's own slices become empty, and stay so), waits for that, and adds
 * one slice with the stand-in's address under the Service port's name. @public
 */
export async function pointServiceAt(
  namespace: string,
  service: string,
  standIn: { host: string; port: number },
  portName = 'http',
): Promise<void> {
  const patch = await kubectl([
    '-n',
    namespace,
    'patch',
    'service',
    service,
    '--type=json',
    '-p',
    JSON.stringify([
      {
        op: 'replace',
        path: '/spec/selector',
        value: { 'dev-sessions.io/stand-in': 'no-pod' },
      },
    ]),
  ]);
  if (patch.code !== 0)
    throw new Error(`kubectl patch service failed: ${patch.stderr}`);
  await waitFor(`the endpoints of ${service} to empty`, async () => {
    const slices = await kubectlJson([
      '-n',
      namespace,
      'get',
      'endpointslices',
      '-l',
      `kubernetes.io/service-name=${service}`,
    ]);
    return slices.items.every((s: any) => !s.endpoints?.length);
  });
  await kubectlApply(
    JSON.stringify({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${service}-stand-in`,
        namespace,
        labels: {
          'kubernetes.io/service-name': service,
          'endpointslice.kubernetes.io/managed-by': 'dev-sessions-tests',
        },
      },
      addressType: 'IPv4',
      ports: [{ name: portName, port: standIn.port, protocol: 'TCP' }],
      endpoints: [{ addresses: [standIn.host], conditions: { ready: true } }],
    }),
  );
}
