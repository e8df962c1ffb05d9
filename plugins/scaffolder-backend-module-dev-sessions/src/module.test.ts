import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { scaffolderModuleDevSessions } from './module';

describe('scaffolderModuleDevSessions', () => {
  it('starts inside a backend with the scaffolder actions extension point', async () => {
    const logger = mockServices.logger.mock();
    const addActions = jest.fn();
    await startTestBackend({
      extensionPoints: [[scaffolderActionsExtensionPoint, { addActions }]],
      features: [scaffolderModuleDevSessions, logger.factory],
    });
    expect(logger.info).toHaveBeenCalledWith(
      'dev-sessions scaffolder module started',
    );
  });
});
