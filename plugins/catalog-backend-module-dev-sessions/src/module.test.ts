import { startTestBackend } from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogModuleDevSessions } from './module';

describe('catalogModuleDevSessions', () => {
  it('starts inside a backend and adds the dev-sessions entity provider', async () => {
    const extensionPoint = {
      addEntityProvider: jest.fn(),
      addProcessor: jest.fn(),
      addPlaceholderResolver: jest.fn(),
      setOnProcessingErrorHandler: jest.fn(),
    };
    await startTestBackend({
      extensionPoints: [[catalogProcessingExtensionPoint, extensionPoint]],
      features: [catalogModuleDevSessions],
    });
    const providers = extensionPoint.addEntityProvider.mock.calls.flat();
    expect(providers.map((p: any) => p.getProviderName())).toEqual(['dev-sessions']);
  });
});
