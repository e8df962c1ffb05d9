import { mockCredentials } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  DevSession,
  DevSessionsApiError,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { DevSessionsService } from '@dev-sessions/backstage-plugin-dev-sessions-node';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'yaml';
import { createDevSessionCreateAction } from './create';
import { createDevSessionDeleteAction } from './delete';
import { createDevSessionStartAction } from './start';
import { createDevSessionStopAction } from './stop';

const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';

function session(
  projectUuid: string,
  state: DevSession['state'],
  extra: Partial<DevSession> = {},
): DevSession {
  const ep = (role: string, port: number) => ({
    url: `http://localhost:7007/api/dev-sessions/projects/${projectUuid}/open/${role}/`,
    internalUrl: `http://dev-session-${role}.${projectUuid}.svc.cluster.local:${port}/`,
    path: `/${role}`,
  });
  return {
    projectUuid,
    projectId: 'p',
    owner: 'user:default/mock',
    namespace: projectUuid,
    releaseName: 'dev-session',
    chartVersion: '0.1.0',
    size: 'medium',
    state,
    endpoints: {
      preview: ep('preview', 3000),
      chat: ep('chat', 3001),
      vscode: ep('vscode', 8080),
    },
    entityRef: `resource:default/dev-session-${projectUuid}`,
    cluster: 'local',
    createdAt: '2026-11-24T00:00:00.000Z',
    updatedAt: '2026-11-24T00:00:00.000Z',
    ...extra,
  };
}

/**
 * A fake of the sessions service: sessions in a map, a scripted sequence of states for get(),
 * and how many waiting deletes answer "still deleting" before the session is gone. Each call
 * is recorded with the user it was made for.
 */
function fakeSessions(
  states: DevSession['state'][] = ['ready'],
  deletesUntilGone = 1,
) {
  const store = new Map<string, DevSession>();
  const calls: string[] = [];
  const who = (o: { credentials: any }) =>
    o.credentials.principal.userEntityRef;
  let i = 0;
  let deletes = 0;
  const sessions: DevSessionsService = {
    async getOrCreate(uuid, req, opts) {
      calls.push(
        `getOrCreate ${uuid} ${JSON.stringify(req)} for ${who(opts)}${
          opts.wait ? ' wait' : ''
        }`,
      );
      const existing = store.get(uuid);
      if (existing) return { session: existing, created: false };
      const s = session(uuid, 'provisioning', {
        owner: req.owner ?? 'user:default/mock',
        size: req.size ?? 'medium',
      });
      store.set(uuid, s);
      return { session: s, created: true };
    },
    async get(uuid, opts) {
      calls.push(`get ${uuid} for ${who(opts)}`);
      const s = store.get(uuid);
      if (!s) throw new DevSessionsApiError('not found', 404);
      const state = states[Math.min(i++, states.length - 1)];
      const next = {
        ...s,
        state,
        lastError:
          state === 'failed'
            ? 'helm upgrade timed out: pod not ready'
            : undefined,
      };
      store.set(uuid, next);
      return next;
    },
    async status() {
      throw new DevSessionsApiError('cluster unreachable', 503);
    },
    async list() {
      return [...store.values()];
    },
    async listPage() {
      throw new Error('the scaffolder actions do not page');
    },
    async logs() {
      throw new Error('the scaffolder actions do not read logs');
    },
    async dryRun(uuid, req, opts) {
      calls.push(`dryRun ${uuid} for ${who(opts)}`);
      return {
        dryRun: true as const,
        session: session(uuid, 'provisioning', { owner: req.owner! }),
        objects: ['Deployment/dev-session', 'Service/dev-session-lb'],
        manifests: '',
      };
    },
    async delete(uuid, opts) {
      calls.push(
        `delete ${uuid} for ${who(opts)} wait=${opts.wait} timeout=${
          opts.timeoutSeconds
        }`,
      );
      const s = store.get(uuid);
      if (!s) return undefined;
      if (++deletes < deletesUntilGone) {
        const deleting = { ...s, state: 'deleting' as const };
        store.set(uuid, deleting);
        return deleting;
      }
      store.delete(uuid);
      return undefined;
    },
    // answers on the way (stopping/starting) first, then there; failed when scripted so
    async setRunning(uuid, running, opts) {
      calls.push(
        `${running ? 'start' : 'stop'} ${uuid} for ${who(opts)} wait=${
          opts.wait
        } timeout=${opts.timeoutSeconds}`,
      );
      const s = store.get(uuid);
      if (!s) throw new DevSessionsApiError('not found', 404);
      const state = states[Math.min(i++, states.length - 1)];
      const next = {
        ...s,
        state,
        lastError: state === 'failed' ? 'helm upgrade failed' : undefined,
      };
      store.set(uuid, next);
      return next;
    },
  };
  return { sessions, calls, store };
}

function outputs(ctx: ReturnType<typeof createMockActionContext>) {
  return Object.fromEntries((ctx.output as jest.Mock).mock.calls);
}

describe('dev-session:create', () => {
  it('creates for the user running the task, waits until ready and outputs the session', async () => {
    const { sessions, calls } = fakeSessions(['provisioning', 'ready']);
    const action = createDevSessionCreateAction({
      sessions,
      pollIntervalMs: 1,
    });
    const ctx = {
      ...createMockActionContext({
        input: { projectUuid: UUID, projectId: 'checkout', size: 'small' },
        user: { ref: 'user:default/jane' },
      }),
      getInitiatorCredentials: async () =>
        mockCredentials.user('user:default/jane'),
    };
    await action.handler(ctx as any);
    expect(calls).toEqual([
      `getOrCreate ${UUID} {"projectId":"checkout","owner":"user:default/jane","size":"small"} for user:default/jane`,
      `get ${UUID} for user:default/jane`,
      `get ${UUID} for user:default/jane`,
    ]);
    expect(outputs(ctx as any)).toEqual({
      projectUuid: UUID,
      namespace: UUID,
      releaseName: 'dev-session',
      previewUrl: `http://localhost:7007/api/dev-sessions/projects/${UUID}/open/preview/`,
      chatUrl: `http://localhost:7007/api/dev-sessions/projects/${UUID}/open/chat/`,
      vscodeUrl: `http://localhost:7007/api/dev-sessions/projects/${UUID}/open/vscode/`,
      entityRef: `resource:default/dev-session-${UUID}`,
      state: 'ready',
      projectName: 'p',
      notice: '',
    });
  });

  it('logs live pod and container progress once each while waiting', async () => {
    const { sessions } = fakeSessions([
      'provisioning',
      'provisioning',
      'ready',
    ]);
    const statuses = [
      {
        pod: { name: 'dev-session-abc', phase: 'Pending' },
        containers: [
          {
            name: 'preview',
            ready: false,
            state: 'waiting',
            reason: 'ContainerCreating',
            restartCount: 0,
          },
        ],
      },
      {
        pod: { name: 'dev-session-abc', phase: 'Running' },
        containers: [
          { name: 'preview', ready: true, state: 'running', restartCount: 0 },
        ],
      },
      {
        pod: { name: 'dev-session-abc', phase: 'Running' },
        containers: [
          { name: 'preview', ready: true, state: 'running', restartCount: 0 },
        ],
      },
    ];
    let n = 0;
    sessions.status = async () =>
      statuses[Math.min(n++, statuses.length - 1)] as any;
    const action = createDevSessionCreateAction({
      sessions,
      pollIntervalMs: 1,
    });
    const logger = {
      info: jest.fn(),
      warn: jest.fn(),
      error: jest.fn(),
      debug: jest.fn(),
      child: jest.fn(),
    };
    const ctx = {
      ...createMockActionContext({ input: { projectUuid: UUID } }),
      logger,
    };
    await action.handler(ctx as any);
    const logged = logger.info.mock.calls.map(c => c[0]);
    expect(
      logged.filter(
        (l: string) => l.startsWith('pod ') || l.startsWith('container '),
      ),
    ).toEqual([
      'pod dev-session-abc: Pending',
      'container preview: ContainerCreating',
      'pod dev-session-abc: Running',
      'container preview: ready',
    ]);
  });

  it('keeps waiting when the live status cannot be read', async () => {
    const { sessions } = fakeSessions(['provisioning', 'ready']);
    const action = createDevSessionCreateAction({
      sessions,
      pollIntervalMs: 1,
    });
    const ctx = createMockActionContext({ input: { projectUuid: UUID } });
    await action.handler(ctx as any);
    expect(outputs(ctx).state).toBe('ready');
  });

  it('is idempotent: a re-run returns the existing session', async () => {
    const { sessions, store } = fakeSessions(['ready']);
    const action = createDevSessionCreateAction({
      sessions,
      pollIntervalMs: 1,
    });
    await action.handler(
      createMockActionContext({ input: { projectUuid: UUID } }) as any,
    );
    const first = store.get(UUID);
    const ctx = createMockActionContext({ input: { projectUuid: UUID } });
    await action.handler(ctx as any);
    expect(store.size).toBe(1);
    expect(outputs(ctx).projectUuid).toBe(first!.projectUuid);
  });

  it('says so when a re-run asks for another name: the session keeps the one it was created with', async () => {
    const { sessions, store } = fakeSessions(['ready']);
    store.set(UUID, session(UUID, 'ready', { projectId: 'Old name' }));
    const action = createDevSessionCreateAction({
      sessions,
      pollIntervalMs: 1,
    });
    const ctx = createMockActionContext({
      input: { projectUuid: UUID, projectId: 'New name' },
    });
    await action.handler(ctx as any);
    expect(outputs(ctx).projectName).toBe('Old name');
    expect(outputs(ctx).notice).toBe(
      `Project ${UUID} already had a dev session named "Old name"; it keeps that name, and "New name" was not applied.`,
    );
    const same = createMockActionContext({
      input: { projectUuid: UUID, projectId: 'Old name' },
    });
    await action.handler(same as any);
    expect(outputs(same).notice).toBe('');
  });

  it('generates a project UUID when none is given, through a checkpoint', async () => {
    const { sessions, store } = fakeSessions(['ready']);
    const action = createDevSessionCreateAction({
      sessions,
      pollIntervalMs: 1,
    });
    const ctx = createMockActionContext({ input: {} });
    const checkpoint = jest.spyOn(ctx, 'checkpoint');
    await action.handler(ctx as any);
    const uuid = outputs(ctx).projectUuid;
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(store.has(uuid)).toBe(true);
    expect(checkpoint.mock.calls.map(c => c[0].key)).toEqual([
      'dev-session.project-uuid',
      `dev-session.create.${uuid}`,
    ]);
  });

  it('fails the step with the backend error when the session fails', async () => {
    const { sessions } = fakeSessions(['provisioning', 'failed']);
    const action = createDevSessionCreateAction({
      sessions,
      pollIntervalMs: 1,
    });
    await expect(
      action.handler(
        createMockActionContext({ input: { projectUuid: UUID } }) as any,
      ),
    ).rejects.toThrow(
      `The dev session of project ${UUID} failed: helm upgrade timed out: pod not ready`,
    );
  });

  it('with wait false returns at once in state provisioning', async () => {
    const { sessions, calls } = fakeSessions(['ready']);
    const action = createDevSessionCreateAction({ sessions });
    const ctx = createMockActionContext({
      input: { projectUuid: UUID, wait: false },
    });
    await action.handler(ctx as any);
    expect(calls.some(c => c.startsWith('get '))).toBe(false);
    expect(outputs(ctx).state).toBe('provisioning');
  });

  it('dry run renders and creates nothing', async () => {
    const { sessions, calls, store } = fakeSessions();
    const action = createDevSessionCreateAction({ sessions });
    const ctx = {
      ...createMockActionContext({
        input: { projectUuid: UUID },
        user: { ref: 'user:default/jane' },
      }),
      isDryRun: true,
    };
    await action.handler(ctx as any);
    expect(calls).toEqual([`dryRun ${UUID} for user:default/mock`]);
    expect(store.size).toBe(0);
    expect(outputs(ctx as any).entityRef).toBe(
      `resource:default/dev-session-${UUID}`,
    );
  });

  it('surfaces a 400 from the backend unchanged', async () => {
    const { sessions } = fakeSessions();
    sessions.getOrCreate = async () => {
      throw new DevSessionsApiError(
        'Invalid projectId: may contain only letters, digits',
        400,
        'InputError',
      );
    };
    const action = createDevSessionCreateAction({ sessions });
    await expect(
      action.handler(
        createMockActionContext({
          input: { projectUuid: UUID, projectId: 'a;b' },
        }) as any,
      ),
    ).rejects.toThrow('Invalid projectId');
  });
});

describe('dev-session:stop and dev-session:start', () => {
  it('stops for the user running the task, asking again until it is stopped', async () => {
    const { sessions, calls, store } = fakeSessions(['stopping', 'stopped']);
    store.set(UUID, session(UUID, 'ready'));
    const action = createDevSessionStopAction({ sessions, pollIntervalMs: 1 });
    const ctx = createMockActionContext({ input: { projectUuid: UUID } });
    await action.handler(ctx as any);
    expect(calls).toEqual([
      `stop ${UUID} for user:default/mock wait=true timeout=60`,
      `stop ${UUID} for user:default/mock wait=true timeout=60`,
    ]);
    expect(outputs(ctx)).toEqual({ state: 'stopped' });
  });

  it('starts, and fails the step with the reason when the session fails', async () => {
    const ok = fakeSessions(['ready']);
    ok.store.set(UUID, session(UUID, 'stopped'));
    const ctx = createMockActionContext({ input: { projectUuid: UUID } });
    await createDevSessionStartAction({ sessions: ok.sessions }).handler(
      ctx as any,
    );
    expect(outputs(ctx)).toEqual({ state: 'ready' });

    const bad = fakeSessions(['failed']);
    bad.store.set(UUID, session(UUID, 'stopped'));
    await expect(
      createDevSessionStartAction({ sessions: bad.sessions }).handler(
        createMockActionContext({ input: { projectUuid: UUID } }) as any,
      ),
    ).rejects.toThrow(
      `The dev session of project ${UUID} failed to start: helm upgrade failed`,
    );
  });

  it('dry run changes nothing', async () => {
    const { sessions, calls } = fakeSessions();
    const ctx = {
      ...createMockActionContext({ input: { projectUuid: UUID } }),
      isDryRun: true,
    };
    await createDevSessionStopAction({ sessions }).handler(ctx as any);
    expect(calls).toEqual([]);
  });
});

describe('dev-session:delete', () => {
  it('deletes for the user running the task and waits until the session is gone', async () => {
    const { sessions, calls, store } = fakeSessions(['ready'], 3);
    store.set(UUID, session(UUID, 'ready'));
    const action = createDevSessionDeleteAction({
      sessions,
      pollIntervalMs: 1,
    });
    const ctx = createMockActionContext({ input: { projectUuid: UUID } });
    const info = jest.spyOn(ctx.logger, 'info');
    await action.handler(ctx as any);
    expect(store.has(UUID)).toBe(false);
    // two answers "still deleting", then gone; each request waits at most a minute
    expect(calls).toEqual([
      `delete ${UUID} for user:default/mock wait=true timeout=60`,
      `delete ${UUID} for user:default/mock wait=true timeout=60`,
      `delete ${UUID} for user:default/mock wait=true timeout=60`,
    ]);
    expect(info.mock.calls.map(c => c[0])).toEqual([
      `Waiting for the dev session of project ${UUID} to be deleted (state deleting)`,
      `Deleted the dev session of project ${UUID} (or there was none)`,
    ]);
  });

  it('succeeds at once when there is no session, and again after a delete', async () => {
    const { sessions, calls, store } = fakeSessions();
    store.set(UUID, session(UUID, 'ready'));
    const action = createDevSessionDeleteAction({ sessions });
    await action.handler(
      createMockActionContext({ input: { projectUuid: UUID } }) as any,
    );
    await action.handler(
      createMockActionContext({
        input: { projectUuid: UUID.toUpperCase(), timeoutSeconds: 45 },
      }) as any,
    );
    expect(calls).toEqual([
      `delete ${UUID} for user:default/mock wait=true timeout=60`,
      `delete ${UUID} for user:default/mock wait=true timeout=45`,
    ]);
  });

  it('fails the step when the session is still there at the timeout', async () => {
    const { sessions, calls, store } = fakeSessions(['ready'], Infinity);
    store.set(UUID, session(UUID, 'ready'));
    const action = createDevSessionDeleteAction({
      sessions,
      pollIntervalMs: 1,
    });
    const now = jest.spyOn(Date, 'now');
    try {
      // the clock moves 20 seconds each time it is read
      let clock = 0;
      now.mockImplementation(() => (clock += 20_000));
      await expect(
        action.handler(
          createMockActionContext({
            input: { projectUuid: UUID, timeoutSeconds: 100 },
          }) as any,
        ),
      ).rejects.toThrow(
        `Timed out after 100 seconds waiting for the dev session of project ${UUID} to be deleted`,
      );
    } finally {
      now.mockRestore();
    }
    expect(store.get(UUID)!.state).toBe('deleting');
    // no request waits past the deadline
    expect(calls.map(c => c.split(' ').pop())).toEqual([
      'timeout=60',
      'timeout=40',
      'timeout=1',
    ]);
  });

  it('fails the step with the backend error when the deletion fails', async () => {
    const { sessions } = fakeSessions();
    sessions.delete = async () =>
      session(UUID, 'failed', { lastError: 'helm uninstall: timed out' });
    const action = createDevSessionDeleteAction({ sessions });
    await expect(
      action.handler(
        createMockActionContext({ input: { projectUuid: UUID } }) as any,
      ),
    ).rejects.toThrow(
      `Deleting the dev session of project ${UUID} failed: helm uninstall: timed out`,
    );
  });

  it('dry run deletes nothing', async () => {
    const { sessions, calls, store } = fakeSessions();
    store.set(UUID, session(UUID, 'ready'));
    const action = createDevSessionDeleteAction({ sessions });
    await action.handler({
      ...createMockActionContext({ input: { projectUuid: UUID } }),
      isDryRun: true,
    } as any);
    expect(calls).toEqual([]);
    expect(store.has(UUID)).toBe(true);
  });
});

describe('action examples', () => {
  const { sessions } = fakeSessions(['ready']);
  const actions = [
    createDevSessionCreateAction({ sessions, pollIntervalMs: 1 }),
    createDevSessionDeleteAction({ sessions, pollIntervalMs: 1 }),
  ];
  const ajv = new Ajv({ strict: false });
  addFormats(ajv);
  const cases = actions.flatMap(a =>
    (a.examples ?? []).map(e => [a.id, e.description, e.example] as const),
  );

  it('every action has examples', () => {
    expect(
      cases.filter(c => c[0] === 'dev-session:create').length,
    ).toBeGreaterThanOrEqual(3);
    expect(
      cases.filter(c => c[0] === 'dev-session:delete').length,
    ).toBeGreaterThanOrEqual(1);
  });

  it.each(cases)(
    '%s example "%s" is valid input and runs',
    async (id, _description, example) => {
      const step = yaml.parse(example).steps[0];
      expect(step.action).toBe(id);
      const action = actions.find(a => a.id === id)!;
      const validate = ajv.compile(action.schema!.input as object);
      expect(validate(step.input)).toBe(true);
      const ctx = createMockActionContext({ input: step.input });
      await action.handler(ctx as any);
      // create outputs the session's state; delete has no outputs
      const expected: Record<string, string | undefined> = {
        'dev-session:create':
          step.input.wait === false ? 'provisioning' : 'ready',
        'dev-session:delete': undefined,
      };
      expect(outputs(ctx).state).toBe(expected[id]);
    },
  );
});
