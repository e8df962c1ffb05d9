import { screen } from '@testing-library/react';
import {
  createExtensionTester,
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { HomePageWidgetBlueprint } from '@backstage/plugin-home-react/alpha';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { DevSessionsApiError } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionsApiRef } from './api';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import {
  devSessionEntityCard,
  devSessionsHomeWidget,
  devSessionsPage,
  isDevSessionAvailable,
} from './plugin';
import { devSessionsRootRouteRef } from './routes';
import plugin from './index';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'dev-session-demo',
    annotations: {
      'dev-sessions.io/project-uuid': '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10',
    },
  },
  spec: { type: 'dev-session', owner: 'user:default/guest' },
};

describe('dev-sessions frontend plugin', () => {
  it('is the default export and holds the API and the entity card', () => {
    expect(plugin.id).toBe('dev-sessions');
    expect(plugin.routes.root).toBe(devSessionsRootRouteRef);
  });

  it('shows the card only on entities with the project-UUID annotation', () => {
    expect(isDevSessionAvailable(entity)).toBe(true);
    expect(
      isDevSessionAvailable({ ...entity, metadata: { name: 'other' } }),
    ).toBe(false);
  });

  it('renders the entity card extension', async () => {
    const element = createExtensionTester(devSessionEntityCard).reactElement();
    const api = {
      get: async () => {
        throw new DevSessionsApiError('no session', 404);
      },
      status: jest.fn(),
    };
    await renderInTestApp(
      <TestApiProvider apis={[[devSessionsApiRef, api]]}>
        <EntityProvider entity={entity}>{element}</EntityProvider>
      </TestApiProvider>,
    );
    expect(await screen.findByText('Dev session')).toBeInTheDocument();
    expect(
      await screen.findByText(
        'Project 2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10 has no dev session yet.',
      ),
    ).toBeInTheDocument();
  });

  it('has a Dev sessions page at /dev-sessions, with a title and an icon for the sidebar', async () => {
    const api = {
      listPage: async () => ({
        items: [],
        totalCount: 0,
        offset: 0,
        limit: 25,
      }),
      refreshLinkCookie: jest.fn(),
    };
    const tester = createExtensionTester(devSessionsPage);
    expect(tester.get(coreExtensionData.routePath)).toBe('/dev-sessions');
    expect(tester.get(coreExtensionData.title)).toBe('Dev sessions');
    expect(tester.get(coreExtensionData.icon)).toBeDefined();
    expect(tester.get(coreExtensionData.routeRef)).toBe(
      devSessionsRootRouteRef,
    );
    await renderInTestApp(tester.reactElement(), {
      apis: [
        [devSessionsApiRef, api],
        [permissionApiRef, mockApis.permission()],
      ],
    });
    expect(
      await screen.findByText(
        'You have no dev sessions yet',
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
  }, 20_000);

  it('has the DevSessionsHomeWidget home page widget', async () => {
    const api = {
      listPage: async () => ({ items: [], totalCount: 0, offset: 0, limit: 5 }),
    };
    const tester = createExtensionTester(devSessionsHomeWidget);
    const widget = tester.get(HomePageWidgetBlueprint.dataRefs.widget);
    expect(widget).toMatchObject({
      name: 'DevSessionsHomeWidget',
      title: 'My dev sessions',
    });
    await renderInTestApp(widget.component, {
      apis: [[devSessionsApiRef, api]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    expect(
      await screen.findByRole('link', { name: 'View all' }),
    ).toHaveAttribute('href', '/dev-sessions');
  });
});
