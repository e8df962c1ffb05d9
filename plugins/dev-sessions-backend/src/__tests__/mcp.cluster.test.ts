/*
 * AI agents: a real MCP client (@modelcontextprotocol/sdk, Streamable HTTP) against a backend
 * with @backstage/plugin-mcp-actions-backend, the dev-sessions plugin's actions
 * (backend.actions.pluginSources), the real permission backend with the app's owner-scoped
 * policy, real Helm and the local cluster.
 */
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  clusterEnv,
  helmReleases,
  startDevSessionsTestBackend,
} from '@dev-sessions/integration-tests';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { randomUUID } from 'node:crypto';
import { devSessionsPlugin } from '../plugin';
import { ownerScopedFeatures } from '../__testUtils__/ownerScoped';

jest.setTimeout(300_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const EVE = 'user:default/eve'; // may not use dev sessions at all

let baseUrl: string;
const clients: Client[] = [];

beforeAll(async () => {
  clusterEnv();
  const { server } = await startDevSessionsTestBackend({
    features: [
      devSessionsPlugin,
      mcpActionsPlugin,
      ...ownerScopedFeatures({
        groups: {
          [ALICE]: ['group:default/payments'],
          [BOB]: ['group:default/search'],
        },
        admins: [],
        withoutDevSessions: [EVE],
      }),
    ],
    config: {
      permission: { enabled: true },
      backend: { actions: { pluginSources: ['dev-sessions'] } },
    },
  });
  baseUrl = `http://localhost:${(server.address() as any).port}`;
});

afterAll(async () => {
  await Promise.all(clients.map(c => c.close()));
});

async function connect(user: string): Promise<Client> {
  const client = new Client({ name: 'dev-sessions-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(
      new URL(`${baseUrl}/api/mcp-actions/v1`),
      {
        requestInit: {
          headers: { Authorization: mockCredentials.user.header(user) },
        },
      },
    ),
  );
  clients.push(client);
  return client;
}

/** A tool's structured result, or its error text. */
async function call(client: Client, name: string, args: object) {
  const r: any = await client.callTool({ name, arguments: args as any });
  const text = (r.content ?? []).map((c: any) => c.text ?? '').join('\n');
  return {
    isError: Boolean(r.isError),
    text,
    json: r.isError ? undefined : JSON.parse(text),
  };
}

// tool names are namespaced by plugin (mcpActions.namespacedToolNames, on by default)
const TOOLS = [
  'list-dev-sessions',
  'get-dev-session',
  'create-dev-session',
  'delete-dev-session',
  'stop-dev-session',
  'start-dev-session',
  'get-dev-session-logs',
].map(name => `dev-sessions.${name}`);

describe('dev sessions as MCP tools', () => {
  const uuid = randomUUID();

  it('lists the tools with their schemas and attributes', async () => {
    const { tools } = await (await connect(ALICE)).listTools();
    const ours = tools.filter(t => TOOLS.includes(t.name));
    expect(ours.map(t => t.name).sort()).toEqual([...TOOLS].sort());
    const byName = Object.fromEntries(ours.map(t => [t.name, t]));
    const create = byName['dev-sessions.create-dev-session'];
    expect(create.description).toMatch(
      /get-or-create|creating it when there is none/i,
    );
    expect(create.inputSchema.required).toEqual(['projectName']);
    expect(Object.keys(create.inputSchema.properties!)).toEqual(
      expect.arrayContaining([
        'projectName',
        'projectUuid',
        'size',
        'owner',
        'wait',
      ]),
    );
    expect((create.inputSchema.properties as any).size.enum).toEqual([
      'small',
      'medium',
      'large',
    ]);
    expect(create.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
    });
    expect(byName['dev-sessions.delete-dev-session'].annotations).toMatchObject(
      {
        destructiveHint: true,
        idempotentHint: true,
      },
    );
    for (const t of [
      'list-dev-sessions',
      'get-dev-session',
      'get-dev-session-logs',
    ])
      expect(byName[`dev-sessions.${t}`].annotations).toMatchObject({
        readOnlyHint: true,
      });
  });

  it('bad input: an error naming the field, and nothing is created', async () => {
    const alice = await connect(ALICE);
    const badName = await call(alice, 'dev-sessions.create-dev-session', {
      projectName: 'a; rm -rf /',
      projectUuid: uuid,
    });
    expect(badName.isError).toBe(true);
    expect(badName.text).toMatch(/projectId/);
    const badSize = await call(alice, 'dev-sessions.create-dev-session', {
      projectName: 'Agent shop',
      projectUuid: uuid,
      size: 'huge',
    });
    expect(badSize.isError).toBe(true);
    expect(badSize.text).toMatch(/size/);
    const badUuid = await call(alice, 'dev-sessions.get-dev-session', {
      projectUuid: 'nope',
    });
    expect(badUuid.isError).toBe(true);
    expect(badUuid.text).toMatch(/projectUuid/);
    expect(await helmReleases(uuid)).toEqual([]);
    const got = await call(alice, 'dev-sessions.get-dev-session', {
      projectUuid: uuid,
    });
    expect(got.isError).toBe(true);
    expect(got.text).toMatch(/has no dev session/);
  });

  it('create gives a ready session with three links; get shows each container', async () => {
    const alice = await connect(ALICE);
    const created = await call(alice, 'dev-sessions.create-dev-session', {
      projectName: 'Agent shop',
      projectUuid: uuid,
      size: 'small',
    });
    expect(created.isError).toBe(false);
    expect(created.json).toMatchObject({
      created: true,
      session: {
        projectUuid: uuid,
        state: 'ready',
        owner: ALICE,
        size: 'small',
      },
    });
    for (const role of ['preview', 'chat', 'vscode'])
      expect(created.json.session.links[role]).toMatch(
        new RegExp(`/api/dev-sessions/projects/${uuid}/open/${role}/$`),
      );
    expect((await helmReleases(uuid)).map(r => r.name)).toEqual([
      'dev-session',
    ]);

    // asking again never makes a second one
    const again = await call(alice, 'dev-sessions.create-dev-session', {
      projectName: 'Agent shop',
      projectUuid: uuid,
    });
    expect(again.json).toMatchObject({ created: false });

    const got = await call(alice, 'dev-sessions.get-dev-session', {
      projectUuid: uuid,
    });
    expect(got.json.session.state).toBe('ready');
    expect(got.json.status.pod).toMatchObject({
      phase: 'Running',
      ready: true,
    });
    expect(
      got.json.status.containers.map((c: any) => [c.role, c.ready]).sort(),
    ).toEqual([
      ['chat', true],
      ['preview', true],
      ['vscode', true],
    ]);

    const logs = await call(alice, 'dev-sessions.get-dev-session-logs', {
      projectUuid: uuid,
      container: 'chat',
      tailLines: 5,
    });
    expect(logs.isError).toBe(false);
    expect(logs.json.text.length).toBeGreaterThan(0);

    const listed = await call(alice, 'dev-sessions.list-dev-sessions', {});
    expect(listed.json.sessions.map((s: any) => s.projectUuid)).toContain(uuid);
  });

  it('a caller who may not read the session neither sees nor changes it', async () => {
    const bob = await connect(BOB);
    const listed = await call(bob, 'dev-sessions.list-dev-sessions', {
      mine: false,
    });
    expect(listed.json.sessions.map((s: any) => s.projectUuid)).not.toContain(
      uuid,
    );
    const got = await call(bob, 'dev-sessions.get-dev-session', {
      projectUuid: uuid,
    });
    expect(got.isError).toBe(true);
    const del = await call(bob, 'dev-sessions.delete-dev-session', {
      projectUuid: uuid,
    });
    expect(del.isError).toBe(true);
    expect((await helmReleases(uuid)).map(r => r.name)).toEqual([
      'dev-session',
    ]);
  });

  it('a caller without dev sessions sees no dev-session tools and cannot call them', async () => {
    const eve = await connect(EVE);
    const { tools } = await eve.listTools();
    expect(tools.filter(t => TOOLS.includes(t.name))).toEqual([]);
    const r = await call(eve, 'dev-sessions.list-dev-sessions', {});
    expect(r.isError).toBe(true);
  });

  it('stop, start, then delete removes it', async () => {
    const alice = await connect(ALICE);
    const stopped = await call(alice, 'dev-sessions.stop-dev-session', {
      projectUuid: uuid,
    });
    expect(stopped.json.session.state).toBe('stopped');
    const started = await call(alice, 'dev-sessions.start-dev-session', {
      projectUuid: uuid,
    });
    expect(started.json.session.state).toBe('ready');
    const del = await call(alice, 'dev-sessions.delete-dev-session', {
      projectUuid: uuid,
    });
    expect(del.json).toEqual({ deleted: true });
    expect(await helmReleases(uuid)).toEqual([]);
    const gone = await call(alice, 'dev-sessions.get-dev-session', {
      projectUuid: uuid,
    });
    expect(gone.text).toMatch(/has no dev session/);
  });
});
