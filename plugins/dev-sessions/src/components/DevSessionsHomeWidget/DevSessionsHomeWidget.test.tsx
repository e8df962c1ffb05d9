import { screen } from '@testing-library/react';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import {
  DevSession,
  DevSessionsApiError,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionsApiRef, DevSessionsApi } from '../../api';
import { DevSessionsHomeWidget } from './DevSessionsHomeWidget';

const uuid = (n: number) =>
  `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
const session = (n: number, state: DevSession['state']) =>
  ({
    projectUuid: uuid(n),
    projectId: `Shop ${n}`,
    owner: 'user:default/jane',
    state,
    entityRef: `resource:default/shop-${n}-${uuid(n)}`,
  } as DevSession);

function renderWidget(api: Partial<DevSessionsApi>) {
  return renderInTestApp(
    <TestApiProvider apis={[[devSessionsApiRef, api]]}>
      <DevSessionsHomeWidget />
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

describe('DevSessionsHomeWidget', () => {
  it("shows the caller's newest five sessions with state and link, and View all", async () => {
    const listPage = jest.fn(async () => ({
      items: [session(7, 'ready'), session(6, 'stopped')],
      totalCount: 12,
      offset: 0,
      limit: 5,
    }));
    await renderWidget({ listPage });
    expect(await screen.findByRole('link', { name: 'Shop 7' })).toHaveAttribute(
      'href',
      `/catalog/default/resource/shop-7-${uuid(7)}`,
    );
    expect(listPage).toHaveBeenCalledWith({ mine: true, offset: 0, limit: 5 });
    expect(screen.getByText('ready')).toBeInTheDocument();
    expect(screen.getByText('stopped')).toBeInTheDocument();
    expect(screen.getByText('2 of 12')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'View all' })).toHaveAttribute(
      'href',
      '/dev-sessions',
    );
  });

  it('offers the template when the caller has no sessions', async () => {
    await renderWidget({
      listPage: async () => ({ items: [], totalCount: 0, offset: 0, limit: 5 }),
    });
    expect(
      await screen.findByRole('link', { name: 'Create one' }),
    ).toHaveAttribute('href', '/create/templates/default/dev-session');
  });

  it('shows why the sessions could not be loaded', async () => {
    await renderWidget({
      listPage: async () => {
        throw new DevSessionsApiError('backend down', 503);
      },
    });
    expect(await screen.findByText('backend down')).toBeInTheDocument();
  });
});
