import { screen } from '@testing-library/react';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { DevSessionsApiError } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionsApiRef } from './api';
import {
  DevSessionsPage,
  devSessionsLegacyPlugin,
  EntityDevSessionCard,
  HomePageDevSessionsCard,
} from './legacy';
import { devSessionsLegacyRootRouteRef } from './routes';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { mockApis } from '@backstage/frontend-test-utils';

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

  it('mounts DevSessionsPage on its route ref', async () => {
    expect(devSessionsLegacyPlugin.routes.root).toBe(
      devSessionsLegacyRootRouteRef,
    );
    const api = {
      listPage: async () => ({
        items: [],
        totalCount: 0,
        offset: 0,
        limit: 25,
      }),
      refreshLinkCookie: jest.fn(),
    };
    await renderInTestApp(
      <TestApiProvider apis={[[devSessionsApiRef, api]]}>
        <DevSessionsPage />
      </TestApiProvider>,
      {
        apis: [[permissionApiRef, mockApis.permission()]],
        mountedRoutes: { '/dev-sessions': devSessionsLegacyRootRouteRef },
      },
    );
    expect(
      await screen.findByRole('heading', { name: 'Dev sessions' }),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('You have no dev sessions yet'),
    ).toBeInTheDocument();
  });

  it('HomePageDevSessionsCard renders the home card', async () => {
    const api = {
      listPage: async () => ({ items: [], totalCount: 0, offset: 0, limit: 5 }),
    };
    await renderInTestApp(
      <TestApiProvider apis={[[devSessionsApiRef, api]]}>
        <HomePageDevSessionsCard />
      </TestApiProvider>,
      {
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    );
    expect(await screen.findByText('My dev sessions')).toBeInTheDocument();
    expect(
      await screen.findByRole('link', { name: 'View all' }),
    ).toHaveAttribute('href', '/dev-sessions');
  });
});
