import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { devSessionsServiceRef } from '@dev-sessions/backstage-plugin-dev-sessions-node';
import { devSession } from './__testUtils__/sessions';
import { catalogModuleDevSessions } from './module';

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';

function extensionPoint() {
  return {
    addEntityProvider: jest.fn(),
    addProcessor: jest.fn(),
    addPlaceholderResolver: jest.fn(),
    setOnProcessingErrorHandler: jest.fn(),
  };
}

describe('catalogModuleDevSessions', () => {
  it('starts inside a backend and adds the dev-sessions entity provider', async () => {
    const catalog = extensionPoint();
    // no factory for devSessionsServiceRef: the default (REST) one is used
    await startTestBackend({
      extensionPoints: [[catalogProcessingExtensionPoint, catalog]],
      features: [catalogModuleDevSessions],
    });
    const providers = catalog.addEntityProvider.mock.calls.flat();
    expect(providers.map((p: any) => p.getProviderName())).toEqual([
      'dev-sessions',
    ]);
  });

  it("lists the sessions through the dev-sessions service with the catalog's own credentials", async () => {
    const catalog = extensionPoint();
    const list = jest.fn(async () => [devSession(A, 'checkout')]);
    await startTestBackend({
      extensionPoints: [[catalogProcessingExtensionPoint, catalog]],
      features: [
        catalogModuleDevSessions,
        createServiceFactory({
          service: devSessionsServiceRef,
          deps: {},
          factory: () => ({ list } as any),
        }),
      ],
    });
    const provider = catalog.addEntityProvider.mock.calls[0][0];
    const connection = { applyMutation: jest.fn(), refresh: jest.fn() };
    await provider.connect(connection);
    expect(await provider.refresh()).toBe(1);
    expect(list).toHaveBeenCalledWith(undefined, {
      credentials: mockCredentials.service('plugin:catalog'),
    });
    expect(
      connection.applyMutation.mock.calls[0][0].entities.map(
        (e: any) => e.entity.metadata.name,
      ),
    ).toEqual([`checkout-${A}`]);
  });
});
