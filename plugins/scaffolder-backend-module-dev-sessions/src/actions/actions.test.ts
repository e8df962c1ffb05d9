import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  DevSession,
  DevSessionsApiError,
} from '@internal/backstage-plugin-dev-sessions-common';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'yaml';
import { ActionDeps } from './client';
import { createDevSessionCreateAction } from './create';
import { createDevSessionDeleteAction } from './delete';

const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';

function session(
  projectUuid: string,
  state: DevSession['state'],
  extra: Partial<DevSession> = {},
): DevSession {
  const ep = (role: string, port: number) => ({
    url: `http://dev-session-${role}.${projectUuid}.svc.cluster.local:${port}/`,
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

/** A fake of the REST client: sessions in a map, a scripted sequence of states for get(). */
function fakeDeps(states: DevSession['state'][] = ['ready']) {
  const sessions = new Map<string, DevSession>();
  const calls: string[] = [];
  let i = 0;
  const deps: ActionDeps = {
    token: async () => 'token-for-dev-sessions',
    client: {
      async getOrCreate(uuid, req, opts) {
        calls.push(`getOrCreate ${uuid} ${JSON.stringify(req)} ${opts?.token}`);
        const existing = sessions.get(uuid);
        if (existing) return { session: existing, created: false };
        const s = session(uuid, 'provisioning', {
          owner: req.owner ?? 'user:default/mock',
          size: req.size ?? 'medium',
        });
        sessions.set(uuid, s);
        return { session: s, created: true };
      },
      async get(uuid) {
        calls.push(`get ${uuid}`);
        const s = sessions.get(uuid);
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
        sessions.set(uuid, next);
        return next;
      },
      async dryRun(uuid, req) {
        calls.push(`dryRun ${uuid}`);
        return {
          dryRun: true as const,
          session: session(uuid, 'provisioning', { owner: req.owner! }),
          objects: ['Deployment/dev-session', 'Service/dev-session-lb'],
          manifests: '',
        };
      },
      async delete(uuid) {
        calls.push(`delete ${uuid}`);
        sessions.delete(uuid);
      },
    },
  };
  return { deps, calls, sessions };
}

function outputs(ctx: ReturnType<typeof createMockActionContext>) {
  return Object.fromEntries((ctx.output as jest.Mock).mock.calls);
}

describe('dev-session:create', () => {
  it('creates, waits until ready and outputs the session', async () => {
    const { deps, calls } = fakeDeps(['provisioning', 'ready']);
    const action = createDevSessionCreateAction({ ...deps, pollIntervalMs: 1 });
    const ctx = createMockActionContext({
      input: { projectUuid: UUID, projectId: 'checkout', size: 'small' },
      user: { ref: 'user:default/jane' },
    });
    await action.handler(ctx as any);
    expect(calls[0]).toBe(
      `getOrCreate ${UUID} {"projectId":"checkout","owner":"user:default/jane","size":"small"} token-for-dev-sessions`,
    );
    expect(calls.filter(c => c.startsWith('get '))).toHaveLength(2);
    expect(outputs(ctx)).toEqual({
      projectUuid: UUID,
      namespace: UUID,
      releaseName: 'dev-session',
      previewUrl: `http://dev-session-preview.${UUID}.svc.cluster.local:3000/`,
      chatUrl: `http://dev-session-chat.${UUID}.svc.cluster.local:3001/`,
      vscodeUrl: `http://dev-session-vscode.${UUID}.svc.cluster.local:8080/`,
      entityRef: `resource:default/dev-session-${UUID}`,
      state: 'ready',
    });
  });

  it('logs live pod and container progress once each while waiting', async () => {
    const { deps } = fakeDeps(['provisioning', 'provisioning', 'ready']);
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
    deps.client.status = async () =>
      statuses[Math.min(n++, statuses.length - 1)] as any;
    const action = createDevSessionCreateAction({ ...deps, pollIntervalMs: 1 });
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

  it('is idempotent: a re-run returns the existing session', async () => {
    const { deps, sessions } = fakeDeps(['ready']);
    const action = createDevSessionCreateAction({ ...deps, pollIntervalMs: 1 });
    await action.handler(
      createMockActionContext({ input: { projectUuid: UUID } }) as any,
    );
    const first = sessions.get(UUID);
    const ctx = createMockActionContext({ input: { projectUuid: UUID } });
    await action.handler(ctx as any);
    expect(sessions.size).toBe(1);
    expect(outputs(ctx).projectUuid).toBe(first!.projectUuid);
  });

  it('generates a project UUID when none is given, through a checkpoint', async () => {
    const { deps, sessions } = fakeDeps(['ready']);
    const action = createDevSessionCreateAction({ ...deps, pollIntervalMs: 1 });
    const ctx = createMockActionContext({ input: {} });
    const checkpoint = jest.spyOn(ctx, 'checkpoint');
    await action.handler(ctx as any);
    const uuid = outputs(ctx).projectUuid;
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(sessions.has(uuid)).toBe(true);
    expect(checkpoint.mock.calls.map(c => c[0].key)).toEqual([
      'dev-session.project-uuid',
      `dev-session.create.${uuid}`,
    ]);
  });

  it('fails the step with the backend error when the session fails', async () => {
    const { deps } = fakeDeps(['provisioning', 'failed']);
    const action = createDevSessionCreateAction({ ...deps, pollIntervalMs: 1 });
    await expect(
      action.handler(
        createMockActionContext({ input: { projectUuid: UUID } }) as any,
      ),
    ).rejects.toThrow(
      `The dev session of project ${UUID} failed: helm upgrade timed out: pod not ready`,
    );
  });

  it('with wait false returns at once in state provisioning', async () => {
    const { deps, calls } = fakeDeps(['ready']);
    const action = createDevSessionCreateAction(deps);
    const ctx = createMockActionContext({
      input: { projectUuid: UUID, wait: false },
    });
    await action.handler(ctx as any);
    expect(calls.some(c => c.startsWith('get '))).toBe(false);
    expect(outputs(ctx).state).toBe('provisioning');
  });

  it('dry run renders and creates nothing', async () => {
    const { deps, calls, sessions } = fakeDeps();
    const action = createDevSessionCreateAction(deps);
    const ctx = {
      ...createMockActionContext({
        input: { projectUuid: UUID },
        user: { ref: 'user:default/jane' },
      }),
      isDryRun: true,
    };
    await action.handler(ctx as any);
    expect(calls).toEqual([`dryRun ${UUID}`]);
    expect(sessions.size).toBe(0);
    expect(outputs(ctx as any).entityRef).toBe(
      `resource:default/dev-session-${UUID}`,
    );
  });

  it('surfaces a 400 from the backend unchanged', async () => {
    const { deps } = fakeDeps();
    deps.client.getOrCreate = async () => {
      throw new DevSessionsApiError(
        'Invalid projectId: may contain only letters, digits',
        400,
        'InputError',
      );
    };
    const action = createDevSessionCreateAction(deps);
    await expect(
      action.handler(
        createMockActionContext({
          input: { projectUuid: UUID, projectId: 'a;b' },
        }) as any,
      ),
    ).rejects.toThrow('Invalid projectId');
  });
});

describe('dev-session:delete', () => {
  it('deletes, and deleting again succeeds', async () => {
    const { deps, calls } = fakeDeps();
    const action = createDevSessionDeleteAction(deps);
    await action.handler(
      createMockActionContext({ input: { projectUuid: UUID } }) as any,
    );
    await action.handler(
      createMockActionContext({ input: { projectUuid: UUID } }) as any,
    );
    expect(calls).toEqual([`delete ${UUID}`, `delete ${UUID}`]);
  });
});

describe('action examples', () => {
  const { deps } = fakeDeps(['ready']);
  const actions = [
    createDevSessionCreateAction({ ...deps, pollIntervalMs: 1 }),
    createDevSessionDeleteAction(deps),
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
      if (id === 'dev-session:create') {
        expect(outputs(ctx).state).toBe(
          step.input.wait === false ? 'provisioning' : 'ready',
        );
      }
    },
  );
});
