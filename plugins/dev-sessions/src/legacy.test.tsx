import { screen } from '@testing-library/react';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { DevSessionsApiError } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionsApiRef } from './api';
import { devSessionsLegacyPlugin, EntityDevSessionCard } from './legacy';

describe('legacy exports', () => {
  it('the legacy plugin provides the dev-sessions client API', () => {
    expect(devSessionsLegacyPlugin.getId()).toBe('dev-sessions');
    const apis = [...devSessionsLegacyPlugin.getApis()];
    expect(apis.map(a => a.api.id)).toEqual(['plugin.dev-sessions.api']);
  });

  it('EntityDevSessionCard renders the card', async () => {
    const api = {
      get: async () => {
        throw new DevSessionsApiError('none', 404);
      },
      status: jest.fn(),
    };
    await renderInTestApp(
      <TestApiProvider apis={[[devSessionsApiRef, api]]}>
        <EntityProvider
          entity={{
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'x',
              annotations: {
                'dev-sessions.io/project-uuid':
                  '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10',
              },
            },
          }}
        >
          <EntityDevSessionCard />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(
      await screen.findByRole('link', { name: 'Create dev session' }),
    ).toBeInTheDocument();
  });
});
