import { screen } from '@testing-library/react';
import {
  createExtensionTester,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { DevSessionsApiError } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionsApiRef } from './api';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { devSessionEntityCard, isDevSessionAvailable } from './plugin';
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
});
