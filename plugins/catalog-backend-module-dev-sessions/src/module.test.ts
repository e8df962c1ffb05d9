import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogModuleDevSessions } from './module';

describe('catalogModuleDevSessions', () => {
  it('starts inside a backend with the catalog extension point', async () => {
    const logger = mockServices.logger.mock();
    const extensionPoint = {
      addEntityProvider: jest.fn(),
      addProcessor: jest.fn(),
      addPlaceholderResolver: jest.fn(),
      setOnProcessingErrorHandler: jest.fn(),
    };
    await startTestBackend({
      extensionPoints: [[catalogProcessingExtensionPoint, extensionPoint]],
      features: [catalogModuleDevSessions, logger.factory],
    });
    expect(logger.info).toHaveBeenCalledWith(
      'dev-sessions catalog module started',
    );
  });
});
