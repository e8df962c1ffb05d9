import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import {
  DevSession,
  DevSessionListPage,
  DevSessionListQuery,
  DevSessionsApiError,
  devSessionEntityName,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionsApiRef, DevSessionsApi } from '../../api';
import { DevSessionsPage, DevSessionsTable } from './DevSessionsPage';

// pages of 25 and 50 rows, each with its controls, take a few seconds to render in jsdom
jest.setTimeout(30_000);

const uuidNo = (n: number) =>
  `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

function session(
  n: number,
  state: DevSession['state'] = 'ready',
  extra: Partial<DevSession> = {},
): DevSession {
  const projectUuid = uuidNo(n);
  const projectId = `Shop ${n}`;
  const ep = (role: string) => ({
    url: `http://localhost:7007/api/dev-sessions/projects/${projectUuid}/open/${role}/`,
    internalUrl: `http://dev-session-${role}.${projectUuid}.svc.cluster.local:3000/`,
    path: `/${role}`,
  });
  return {
    projectUuid,
    projectId,
    owner: 'user:default/jane',
    namespace: projectUuid,
    releaseName: 'dev-session',
    chartVersion: '0.1.0',
    size: 'small',
    state,
    endpoints: {
      preview: ep('preview'),
      chat: ep('chat'),
      vscode: ep('vscode'),
    },
    entityRef: `resource:default/${devSessionEntityName(
      projectId,
      projectUuid,
    )}`,
    cluster: 'local',
    createdAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
    updatedAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
    lastActivityAt: new Date(Date.now() - 10 * 60_000).toISOString(),
    expiresAt: new Date(Date.now() + 2 * 86400_000 + 60_000).toISOString(),
    ...extra,
  };
}

/** An API whose listPage answers from `all` (filtered by state, paged as asked). */
function pagingApi(all: DevSession[]) {
  const listPage = jest.fn(
    async (q: DevSessionListQuery): Promise<DevSessionListPage> => {
      const matching = all.filter(
        s => !q.states?.length || q.states.includes(s.state),
      );
      const offset = q.offset ?? 0;
      const limit = q.limit ?? 25;
      return {
        items: matching.slice(offset, offset + limit),
        totalCount: matching.length,
        offset,
        limit,
      };
    },
  );
  const api: Partial<DevSessionsApi> = {
    listPage,
    refreshLinkCookie: async () => ({
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    }),
    setRunning: jest.fn(async (uuid: string) =>
      session(Number(uuid.slice(-3)), 'stopping'),
    ),
  };
  return { api, listPage };
}

function renderPage(
  api: Partial<DevSessionsApi>,
  element = <DevSessionsTable />,
) {
  return renderInTestApp(
    <TestApiProvider apis={[[devSessionsApiRef, api]]}>
      {element}
    </TestApiProvider>,
    {
      apis: [[permissionApiRef, mockApis.permission()]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

const lastQuery = (listPage: jest.Mock) =>
  listPage.mock.calls[listPage.mock.calls.length - 1][0];

describe('DevSessionsPage', () => {
  it('shows a row per session: project link, state, size, owner, times, links and controls', async () => {
    const { api, listPage } = pagingApi([
      session(1, 'ready'),
      session(2, 'stopped', { owner: 'group:default/payments' }),
    ]);
    await renderPage(api, <DevSessionsPage />);
    expect(
      await screen.findByRole('heading', { name: 'Dev sessions' }),
    ).toBeInTheDocument();
    const project = await screen.findByRole('link', { name: 'Shop 1' });
    expect(project).toHaveAttribute(
      'href',
      `/catalog/default/resource/shop-1-${uuidNo(1)}`,
    );
    expect(listPage).toHaveBeenCalledWith({
      mine: true,
      states: [],
      search: undefined,
      offset: 0,
      limit: 25,
    });
    const rows = screen.getAllByRole('row');
    const first = rows.find(r => within(r).queryByText('Shop 1'))!;
    expect(within(first).getByText('ready')).toBeInTheDocument();
    expect(within(first).getByText('small')).toBeInTheDocument();
    expect(within(first).getByText('3 h ago')).toBeInTheDocument();
    expect(within(first).getByText('used 10 min ago')).toBeInTheDocument();
    expect(within(first).getByText('expires in 2 d')).toBeInTheDocument();
    // the links of a ready session open its open route in a new tab
    await waitFor(() =>
      expect(
        within(first).getByRole('link', { name: 'VS Code of Shop 1' }),
      ).toHaveAttribute(
        'href',
        `http://localhost:7007/api/dev-sessions/projects/${uuidNo(
          1,
        )}/open/vscode/`,
      ),
    );
    expect(
      within(first).getByRole('link', { name: 'Preview of Shop 1' }),
    ).toHaveAttribute('target', '_blank');
    expect(
      within(first).getByRole('button', { name: 'Stop' }),
    ).toBeInTheDocument();
    // a stopped one's links are disabled, and it offers Start
    const second = rows.find(r => within(r).queryByText('Shop 2'))!;
    expect(within(second).getByText('stopped')).toBeInTheDocument();
    expect(
      within(second).getByRole('button', { name: 'Chat of Shop 2' }),
    ).toBeDisabled();
    expect(
      within(second).getByRole('button', { name: 'Start' }),
    ).toBeInTheDocument();
  });

  it('asks the backend again for All, a state filter and a (debounced) search, from the first page', async () => {
    const { api, listPage } = pagingApi([session(1), session(2, 'failed')]);
    await renderPage(api);
    await screen.findByText('Shop 1');

    await userEvent.click(
      screen.getByRole('button', { name: 'All I can see' }),
    );
    await waitFor(() =>
      expect(lastQuery(listPage)).toMatchObject({ mine: false, offset: 0 }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'failed' }));
    await waitFor(() =>
      expect(lastQuery(listPage)).toMatchObject({
        mine: false,
        states: ['failed'],
      }),
    );
    await waitFor(() => expect(screen.queryByText('Shop 1')).toBeNull());
    expect(screen.getByText('Shop 2')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'stopped' }));
    await waitFor(() =>
      expect(lastQuery(listPage).states).toEqual(['failed', 'stopped']),
    );

    const calls = listPage.mock.calls.length;
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Search dev sessions' }),
      'shop 2',
    );
    // one request for the whole word, once typing pauses
    await waitFor(() =>
      expect(lastQuery(listPage)).toMatchObject({
        search: 'shop 2',
        offset: 0,
      }),
    );
    expect(listPage.mock.calls.length).toBe(calls + 1);

    await userEvent.click(screen.getByRole('button', { name: 'Mine' }));
    await waitFor(() =>
      expect(lastQuery(listPage)).toEqual({
        mine: true,
        states: ['failed', 'stopped'],
        search: 'shop 2',
        offset: 0,
        limit: 25,
      }),
    );
  });

  it('pages on the backend: next page, and 50 rows per page', async () => {
    const all = Array.from({ length: 30 }, (_, i) => session(30 - i));
    const { api, listPage } = pagingApi(all);
    await renderPage(api);
    await screen.findByText('Shop 30');
    expect(screen.queryByText('Shop 5')).toBeNull();
    expect(screen.getAllByText('1-25 of 30')[0]).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Next Page' }));
    await waitFor(() =>
      expect(lastQuery(listPage)).toMatchObject({ offset: 25, limit: 25 }),
    );
    expect(await screen.findByText('Shop 5')).toBeInTheDocument();
    expect(screen.queryByText('Shop 30')).toBeNull();
    expect(screen.getAllByText('26-30 of 30')[0]).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: /25 rows/ }));
    await userEvent.click(await screen.findByRole('option', { name: '50' }));
    await waitFor(() =>
      expect(lastQuery(listPage)).toMatchObject({ offset: 0, limit: 50 }),
    );
    expect((await screen.findAllByText('1-30 of 30'))[0]).toBeInTheDocument();
  });

  it('refreshes on demand', async () => {
    const { api, listPage } = pagingApi([session(1)]);
    await renderPage(api);
    await screen.findByText('Shop 1');
    const calls = listPage.mock.calls.length;
    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(listPage.mock.calls.length).toBe(calls + 1));
  });

  it('offers the Dev session template when there are no sessions', async () => {
    const { api } = pagingApi([]);
    await renderPage(api);
    expect(
      await screen.findByText('You have no dev sessions yet'),
    ).toBeInTheDocument();
    expect(
      // a link drawn as a button
      screen.getByRole('button', { name: 'Create a dev session' }),
    ).toHaveAttribute('href', '/create/templates/default/dev-session');
    await userEvent.click(
      screen.getByRole('button', { name: 'All I can see' }),
    );
    expect(
      await screen.findByText('There are no dev sessions you can see'),
    ).toBeInTheDocument();
  });

  it('shows why the list could not be loaded', async () => {
    const api: Partial<DevSessionsApi> = {
      listPage: async () => {
        throw new DevSessionsApiError(
          'Invalid state: "x" is not one of provisioning, ready',
          400,
        );
      },
      refreshLinkCookie: async () => ({ expiresAt: new Date().toISOString() }),
    };
    await renderPage(api);
    expect(
      await screen.findByText('Error: Could not load the dev sessions'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Invalid state: "x" is not one of provisioning, ready'),
    ).toBeInTheDocument();
  });
});
