import { DevSessionsApiError, DevSessionsClient } from './client';
import type { DevSession } from './types';

const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const BASE = 'http://backend.test/api/dev-sessions';

const session = { projectUuid: UUID, state: 'deleting' } as DevSession;

/** A fetch that records each request and answers with the next scripted response. */
function fakeFetch(...responses: Response[]) {
  const requests: { method: string; url: string; headers: any; body?: any }[] =
    [];
  const fetchFn = async (input: any, init?: RequestInit) => {
    requests.push({
      method: init?.method ?? 'GET',
      url: String(input),
      headers: init?.headers,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    const next = responses.shift();
    if (!next) throw new Error(`unexpected request ${init?.method} ${input}`);
    return next;
  };
  const client = new DevSessionsClient({
    discovery: { getBaseUrl: async id => `http://backend.test/api/${id}` },
    fetchApi: { fetch: fetchFn as typeof fetch },
  });
  return { client, requests };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

describe('DevSessionsClient.delete', () => {
  it('returns the session while the backend is still deleting it (202)', async () => {
    const { client, requests } = fakeFetch(json(202, session));
    await expect(client.delete(UUID, { token: 't' })).resolves.toEqual(session);
    expect(requests).toEqual([
      {
        method: 'DELETE',
        url: `${BASE}/projects/${UUID}/session`,
        headers: { authorization: 'Bearer t' },
        body: undefined,
      },
    ]);
  });

  it('returns undefined once the session is gone or when there was none (204)', async () => {
    const { client } = fakeFetch(new Response(null, { status: 204 }));
    await expect(client.delete(UUID)).resolves.toBeUndefined();
  });

  it('asks the backend to wait, with a timeout, when told to', async () => {
    const { client, requests } = fakeFetch(
      new Response(null, { status: 204 }),
      json(202, session),
    );
    await expect(
      client.delete(UUID, { wait: true, timeoutSeconds: 45 }),
    ).resolves.toBeUndefined();
    await expect(client.delete(UUID, { wait: true })).resolves.toEqual(session);
    expect(requests.map(r => r.url)).toEqual([
      `${BASE}/projects/${UUID}/session?wait=true&timeoutSeconds=45`,
      `${BASE}/projects/${UUID}/session?wait=true`,
    ]);
  });

  it('throws the backend error with its status and name', async () => {
    const { client } = fakeFetch(
      json(403, { error: { name: 'NotAllowedError', message: 'not yours' } }),
    );
    const err = await client.delete(UUID).catch(e => e);
    expect(err).toBeInstanceOf(DevSessionsApiError);
    expect(err).toMatchObject({
      message: 'not yours',
      status: 403,
      errorName: 'NotAllowedError',
    });
  });
});

describe('DevSessionsClient', () => {
  it('getOrCreate sends the request body and tells created (201) from existing (200)', async () => {
    const ready = { ...session, state: 'ready' };
    const { client, requests } = fakeFetch(json(201, ready), json(200, ready));
    const request = { projectId: 'checkout', size: 'small' as const };
    expect(
      await client.getOrCreate(UUID, request, {
        token: 't',
        timeoutSeconds: 60,
      }),
    ).toEqual({ session: ready, created: true });
    expect(await client.getOrCreate(UUID, request, { wait: true })).toEqual({
      session: ready,
      created: false,
    });
    expect(requests.map(r => [r.method, r.url, r.body])).toEqual([
      ['PUT', `${BASE}/projects/${UUID}/session?timeoutSeconds=60`, request],
      ['PUT', `${BASE}/projects/${UUID}/session?wait=true`, request],
    ]);
    expect(requests[0].headers).toEqual({
      authorization: 'Bearer t',
      'content-type': 'application/json',
    });
  });

  it('list passes the owner filter and unwraps the items', async () => {
    const { client, requests } = fakeFetch(json(200, { items: [session] }));
    expect(await client.list({ owner: 'user:default/jane' })).toEqual([
      session,
    ]);
    expect(requests[0].url).toBe(
      `${BASE}/sessions?owner=user%3Adefault%2Fjane`,
    );
  });

  it('listPage always asks for a page (offset), with every filter it is given', async () => {
    const page = { items: [session], totalCount: 1, offset: 0, limit: 25 };
    const { client, requests } = fakeFetch(json(200, page), json(200, page));
    expect(await client.listPage()).toEqual(page);
    expect(requests[0].url).toBe(`${BASE}/sessions?offset=0`);
    await client.listPage({
      mine: true,
      states: ['ready', 'failed'],
      search: 'shop',
      offset: 25,
      limit: 25,
    });
    expect(requests[1].url).toBe(
      `${BASE}/sessions?mine=true&state=ready%2Cfailed&q=shop&offset=25&limit=25`,
    );
  });

  it('falls back to the status text when an error has no JSON body', async () => {
    const { client } = fakeFetch(
      new Response('', { status: 502, statusText: 'Bad Gateway' }),
    );
    await expect(client.get(UUID)).rejects.toMatchObject({
      message: 'Bad Gateway',
      status: 502,
    });
  });
});

describe('DevSessionsClient.logs', () => {
  const logs = {
    projectUuid: UUID,
    container: 'chat',
    pod: 'dev-session-7c9d-abcde',
    previous: true,
    tailLines: 50,
    text: 'Error: boom\n',
    truncated: false,
  };

  it('asks for one container, previous and tailLines, and returns the answer as it is', async () => {
    const { client, requests } = fakeFetch(json(200, logs), json(200, logs));
    await expect(
      client.logs(
        UUID,
        { container: 'chat', previous: true, tailLines: 50 },
        { token: 't' },
      ),
    ).resolves.toEqual(logs);
    // previous=false and no tailLines: left out, the backend's defaults apply (500 lines)
    await client.logs(UUID, { container: 'vscode', previous: false });
    expect(requests.map(r => [r.method, r.url, r.headers])).toEqual([
      [
        'GET',
        `${BASE}/projects/${UUID}/session/logs?container=chat&previous=true&tailLines=50`,
        { authorization: 'Bearer t' },
      ],
      ['GET', `${BASE}/projects/${UUID}/session/logs?container=vscode`, {}],
    ]);
  });

  it('throws the backend refusal (409: no previous log) with its status and name', async () => {
    const { client } = fakeFetch(
      json(409, {
        error: {
          name: 'ConflictError',
          message:
            'The chat container has not restarted, so there is no previous log',
        },
      }),
    );
    await expect(
      client.logs(UUID, { container: 'chat', previous: true }),
    ).rejects.toMatchObject({
      status: 409,
      errorName: 'ConflictError',
      message:
        'The chat container has not restarted, so there is no previous log',
    });
  });
});
