import { createServiceFactory } from '@backstage/backend-plugin-api';
import { startTestBackend } from '@backstage/backend-test-utils';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { devSessionsServiceRef } from '@dev-sessions/backstage-plugin-dev-sessions-node';
import { scaffolderModuleDevSessions } from './module';

const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';

describe('scaffolderModuleDevSessions', () => {
  it('starts inside a backend and registers the create, delete, stop and start actions', async () => {
    const addActions = jest.fn();
    // no factory for devSessionsServiceRef: the default (REST) one is used
    await startTestBackend({
      extensionPoints: [[scaffolderActionsExtensionPoint, { addActions }]],
      features: [scaffolderModuleDevSessions],
    });
    const ids = addActions.mock.calls.flat().map((a: { id: string }) => a.id);
    expect(ids).toEqual([
      'dev-session:create',
      'dev-session:delete',
      'dev-session:stop',
      'dev-session:start',
    ]);
  });

  it("gives the actions the backend's dev-sessions service", async () => {
    const addActions = jest.fn();
    const sessions = { delete: jest.fn(async () => undefined) };
    await startTestBackend({
      extensionPoints: [[scaffolderActionsExtensionPoint, { addActions }]],
      features: [
        scaffolderModuleDevSessions,
        createServiceFactory({
          service: devSessionsServiceRef,
          deps: {},
          factory: () => sessions as any,
        }),
      ],
    });
    const remove = addActions.mock.calls
      .flat()
      .find((a: { id: string }) => a.id === 'dev-session:delete');
    const ctx = createMockActionContext({ input: { projectUuid: UUID } });
    await remove.handler(ctx);
    expect(sessions.delete).toHaveBeenCalledWith(UUID, {
      credentials: await ctx.getInitiatorCredentials(),
      wait: true,
      timeoutSeconds: 60,
    });
  });
});
