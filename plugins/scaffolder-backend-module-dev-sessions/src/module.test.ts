import { startTestBackend } from '@backstage/backend-test-utils';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { scaffolderModuleDevSessions } from './module';

describe('scaffolderModuleDevSessions', () => {
  it('starts inside a backend and registers dev-session:create and dev-session:delete', async () => {
    const addActions = jest.fn();
    await startTestBackend({
      extensionPoints: [[scaffolderActionsExtensionPoint, { addActions }]],
      features: [scaffolderModuleDevSessions],
    });
    const ids = addActions.mock.calls.flat().map((a: { id: string }) => a.id);
    expect(ids).toEqual(['dev-session:create', 'dev-session:delete']);
  });
});
