import { mockCredentials } from '@backstage/backend-test-utils';
import {
  DevSession,
  DevSessionsApiError,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import type { DevSessionsService } from '@dev-sessions/backstage-plugin-dev-sessions-node';
import { z } from 'zod/v3';
import { registerDevSessionActions } from './index';

const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const session = {
  projectUuid: UUID,
  projectId: 'Checkout',
  owner: 'user:default/alice',
  namespace: UUID,
  releaseName: 'dev-session',
  chartVersion: '0.6.0',
  size: 'small',
  state: 'ready',
  cluster: 'local',
  endpoints: {
    preview: { url: 'http://b/open/preview/', path: '/', port: 3000 },
    chat: { url: 'http://b/open/chat/', path: '/', port: 3001 },
    vscode: { url: 'http://b/open/vscode/', path: '/', port: 8080 },
  },
  entityRef: `resource:default/checkout-${UUID}`,
  createdAt: '2026-11-27T00:00:00Z',
  updatedAt: '2026-11-27T00:00:00Z',
} as unknown as DevSession;

/** The registered actions by name, run the way the registry runs them (input parsed by zod). */
function setup(sessions: Partial<DevSessionsService>) {
  const actions = new Map<string, any>();
  registerDevSessionActions({
    actionsRegistry: { register: (a: any) => actions.set(a.name, a) },
    sessions: sessions as DevSessionsService,
  });
  const run = async (name: string, input: object, credentials: any) => {
    const a = actions.get(name);
    const parsed = a.schema.input(z).parse(input);
    const { output } = await a.action({ input: parsed, credentials });
    return a.schema.output(z).parse(output);
  };
  return { actions, run };
}

describe('dev-session actions', () => {
  it('registers seven actions, each visible only with dev-session.create', () => {
    const { actions } = setup({});
    expect([...actions.keys()].sort()).toEqual([
      'create-dev-session',
      'delete-dev-session',
      'get-dev-session',
      'get-dev-session-logs',
      'list-dev-sessions',
      'start-dev-session',
      'stop-dev-session',
    ]);
    for (const a of actions.values())
      expect(a.visibilityPermission.name).toBe('dev-session.create');
  });

  it("lists the user's own by default; a service caller, which owns nothing, gets what it may read", async () => {
    const listPage = jest.fn(async () => ({
      items: [session],
      totalCount: 1,
      offset: 0,
      limit: 25,
    }));
    const { run } = setup({ listPage });
    const out = await run(
      'list-dev-sessions',
      {},
      mockCredentials.user('user:default/alice'),
    );
    expect(listPage).toHaveBeenLastCalledWith(
      { mine: true, offset: 0, limit: 25 },
      expect.anything(),
    );
    expect(out.sessions[0]).toMatchObject({
      projectName: 'Checkout',
      links: { vscode: 'http://b/open/vscode/' },
    });
    await run('list-dev-sessions', {}, mockCredentials.service());
    expect(listPage).toHaveBeenLastCalledWith(
      { offset: 0, limit: 25 },
      expect.anything(),
    );
  });

  it('answers the REST API refusals as Backstage errors of the same kind and message', async () => {
    const { run } = setup({
      getOrCreate: async () => {
        throw new DevSessionsApiError(
          'Invalid projectId: use letters, digits …',
          400,
        );
      },
      get: async () => {
        throw new DevSessionsApiError('Not allowed: dev-session.read', 403);
      },
    });
    const user = mockCredentials.user();
    await expect(
      run('create-dev-session', { projectName: 'x' }, user),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: 'Invalid projectId: use letters, digits …',
    });
    await expect(
      run('get-dev-session', { projectUuid: UUID }, user),
    ).rejects.toMatchObject({ name: 'NotAllowedError' });
  });

  it('creates a new project when no UUID is given, and waits by default', async () => {
    const getOrCreate = jest.fn(async () => ({ session, created: true }));
    const { run } = setup({ getOrCreate });
    const out = await run(
      'create-dev-session',
      { projectName: 'Checkout' },
      mockCredentials.user(),
    );
    const [uuid, request, opts] = (getOrCreate.mock.calls[0] as any[]) ?? [];
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(request).toEqual({
      projectId: 'Checkout',
      size: 'medium',
      owner: undefined,
    });
    expect(opts.wait).toBe(true);
    expect(out).toMatchObject({ created: true, session: { state: 'ready' } });
  });
});
