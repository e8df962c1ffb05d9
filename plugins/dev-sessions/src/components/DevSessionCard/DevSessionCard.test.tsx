import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import {
  DevSession,
  DevSessionStatus,
  DevSessionsApiError,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionsApiRef, DevSessionsApi } from '../../api';
import { DevSessionCard, createSessionUrl } from './DevSessionCard';
import { ago, reasonHint, safeHttpUrl } from './hints';
import { when } from './LifecycleLine';

const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'checkout',
    title: 'Checkout',
    annotations: { 'dev-sessions.io/project-uuid': UUID },
  },
  spec: {
    type: 'service',
    owner: 'group:default/payments',
    lifecycle: 'production',
  },
};

const ep = (r: string, port: number) => ({
  url: `https://${r}.${UUID}.dev.example.com/`,
  internalUrl: `http://dev-session-${r}.${UUID}.svc.cluster.local:3000/`,
  path: `/${r}`,
  port,
});
function session(
  state: DevSession['state'],
  extra: Partial<DevSession> = {},
): DevSession {
  return {
    projectUuid: UUID,
    projectId: 'Checkout',
    owner: 'group:default/payments',
    namespace: UUID,
    releaseName: 'dev-session',
    chartVersion: '0.1.0',
    size: 'small',
    state,
    cluster: 'local',
    endpoints: {
      preview: ep('preview', 3000),
      chat: ep('chat', 3001),
      vscode: ep('vscode', 8080),
    },
    entityRef: `resource:default/checkout-${UUID}`,
    createdAt: '2026-11-24T00:00:00Z',
    updatedAt: '2026-11-24T00:00:00Z',
    ...extra,
  };
}
function status(
  containers: Partial<
    Record<
      'preview' | 'chat' | 'vscode',
      Partial<DevSessionStatus['containers'][0]>
    >
  >,
  phase = 'Running',
): DevSessionStatus {
  const cs = (['preview', 'chat', 'vscode'] as const).map(role => ({
    name: role,
    role,
    ready: true,
    restartCount: 0,
    state: 'running' as const,
    ...containers[role],
  }));
  const endpoints: any = {};
  for (const c of cs)
    endpoints[c.name] = {
      url: `https://${c.name}.${UUID}.dev.example.com/`,
      internalUrl: `http://dev-session-${c.name}.${UUID}.svc.cluster.local:3000/`,
      path: `/${c.name}`,
      ready: c.ready,
    };
  return {
    projectUuid: UUID,
    state: 'ready',
    cluster: 'local',
    clusterReachable: true,
    pod: { name: 'dev-session-abc', phase, conditions: [] },
    containers: cs,
    events: [],
    endpoints,
    checkedAt: new Date().toISOString(),
  };
}

/** The card with `api`; the links' cookie is issued (for an hour) unless `api` says otherwise. */
function renderCard(
  api: Partial<DevSessionsApi>,
  e: any = entity,
  permission = mockApis.permission(),
) {
  const withCookie: Partial<DevSessionsApi> = {
    refreshLinkCookie: async () => ({
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    }),
    ...api,
  };
  return renderInTestApp(
    <TestApiProvider apis={[[devSessionsApiRef, withCookie]]}>
      <EntityProvider entity={e}>
        <DevSessionCard />
      </EntityProvider>
    </TestApiProvider>,
    {
      apis: [[permissionApiRef, permission]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

const link = (name: string) =>
  screen.getByRole('link', { name }) as HTMLAnchorElement;
const button = (name: string) => screen.getByRole('button', { name });

describe('DevSessionCard', () => {
  it('ready: state, pod phase, containers and three enabled links opening in a new tab', async () => {
    await renderCard({
      get: async () => session('ready'),
      status: async () => status({}),
    });
    expect(
      within(await screen.findByTestId('session-state')).getByText('ready'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('pod-phase')).toHaveTextContent('Running');
    for (const [name, role] of [
      ['Preview', 'preview'],
      ['Chat', 'chat'],
      ['VS Code', 'vscode'],
    ]) {
      const a = link(name);
      expect(a.href).toBe(`https://${role}.${UUID}.dev.example.com/`);
      expect(a.target).toBe('_blank');
      expect(a.rel).toContain('noopener');
    }
    expect(
      screen.getByText(
        `Namespace ${UUID} · release dev-session · chart 0.1.0 · cluster local`,
      ),
    ).toBeInTheDocument();
    expect(screen.getByTestId('updated')).toHaveTextContent(
      /Updated \d+ s ago/,
    );
  });

  it('keeps the links disabled while their cookie cannot be issued (they would open unsigned)', async () => {
    const refreshLinkCookie = jest.fn(async () => {
      throw new Error('401 Unauthorized');
    });
    await renderCard({
      get: async () => session('ready'),
      status: async () => status({}),
      refreshLinkCookie,
    });
    expect(
      within(await screen.findByTestId('session-state')).getByText('ready'),
    ).toBeInTheDocument();
    expect(refreshLinkCookie).toHaveBeenCalled();
    for (const name of ['Preview', 'Chat', 'VS Code'])
      expect(button(name)).toBeDisabled();
  });

  it('provisioning: links disabled until containers are ready, and it refreshes on its own', async () => {
    let calls = 0;
    const api = {
      get: jest.fn(async () => session(calls > 0 ? 'ready' : 'provisioning')),
      status: jest.fn(async () => {
        calls++;
        return calls > 1
          ? status({})
          : status(
              {
                preview: {
                  ready: false,
                  state: 'waiting',
                  reason: 'ContainerCreating',
                },
              },
              'Pending',
            );
      }),
    };
    await renderCard(api);
    await waitFor(() =>
      expect(
        within(screen.getByTestId('session-state')).getByText('provisioning'),
      ).toBeInTheDocument(),
    );
    expect(button('Preview')).toBeDisabled();
    expect(screen.getByText('The container is starting.')).toBeInTheDocument();
    expect(screen.getByTestId('updated')).toHaveTextContent(
      'refreshing every 2 s while it changes',
    );
    await waitFor(
      () =>
        expect(
          within(screen.getByTestId('session-state')).getByText('ready'),
        ).toBeInTheDocument(),
      { timeout: 8000 },
    );
    expect(link('Preview')).toBeInTheDocument();
  }, 15000);

  it.each([
    [
      'CrashLoopBackOff',
      {
        chat: {
          ready: false,
          state: 'waiting' as const,
          reason: 'CrashLoopBackOff',
          restartCount: 5,
        },
      },
      'Chat',
      /keeps crashing/,
    ],
    [
      'ImagePullBackOff',
      {
        preview: {
          ready: false,
          state: 'waiting' as const,
          reason: 'ImagePullBackOff',
        },
      },
      'Preview',
      /cannot be pulled/,
    ],
    [
      'OOMKilled',
      {
        vscode: {
          ready: false,
          state: 'waiting' as const,
          reason: 'CrashLoopBackOff',
          lastTerminationReason: 'OOMKilled',
          restartCount: 3,
        },
      },
      'VS Code',
      /keeps crashing/,
    ],
  ])(
    '%s: shows the reason, the restarts, a hint, and disables that link only',
    async (_n, cs, name, hint) => {
      await renderCard({
        get: async () => session('ready'),
        status: async () => status(cs),
      });
      const role = name === 'VS Code' ? 'vscode' : name.toLowerCase();
      const row = await screen.findByTestId(`container-${role}`);
      const c = (cs as any)[role];
      expect(within(row).getByText(c.reason)).toBeInTheDocument();
      expect(within(row).getByText(hint)).toBeInTheDocument();
      expect(
        within(row).getByText(String(c.restartCount ?? 0)),
      ).toBeInTheDocument();
      // the last exit reason is shown exactly when there is one
      expect(within(row).queryByText(/^last exit: /)?.textContent).toBe(
        c.lastTerminationReason
          ? `last exit: ${c.lastTerminationReason}`
          : undefined,
      );
      expect(button(name)).toBeDisabled();
      for (const other of ['Preview', 'Chat', 'VS Code'].filter(
        o => o !== name,
      ))
        expect(link(other)).toBeInTheDocument();
    },
  );

  it('failed: state and the error message', async () => {
    await renderCard({
      get: async () =>
        session('failed', { lastError: 'helm upgrade timed out after 300s' }),
      status: async () => status({}),
    });
    await waitFor(() =>
      expect(
        within(screen.getByTestId('session-state')).getByText('failed'),
      ).toBeInTheDocument(),
    );
    expect(
      screen.getByText('helm upgrade timed out after 300s'),
    ).toBeInTheDocument();
    expect(button('Preview')).toBeDisabled();
  });

  it('deleting: shown as deleting with links disabled', async () => {
    await renderCard({
      get: async () => session('deleting'),
      status: async () => status({}),
    });
    await waitFor(() =>
      expect(
        within(screen.getByTestId('session-state')).getByText('deleting'),
      ).toBeInTheDocument(),
    );
    expect(button('VS Code')).toBeDisabled();
  });

  it('stopped: says so, with its links disabled', async () => {
    await renderCard({
      get: async () => session('stopped'),
      status: async () => ({ ...status({}), containers: [], pod: undefined }),
    });
    await waitFor(() =>
      expect(
        within(screen.getByTestId('session-state')).getByText('stopped'),
      ).toBeInTheDocument(),
    );
    for (const name of ['Preview', 'Chat', 'VS Code'])
      expect(button(name)).toBeDisabled();
  });

  it('shows when it was last used, when it stops for being idle and when it expires', async () => {
    const lastActivityAt = new Date(Date.now() - 5 * 60_000).toISOString();
    const idleStopAt = '2026-12-03T14:05:00Z';
    const expiresAt = '2027-11-26T09:00:00Z';
    await renderCard({
      get: async () =>
        session('ready', { lastActivityAt, idleStopAt, expiresAt }),
      status: async () => status({}),
    });
    const line = await screen.findByTestId('lifecycle');
    expect(line).toHaveTextContent(
      `Last used 5 min ago · stops when idle at ${when(
        idleStopAt,
      )} · expires on ${when(expiresAt)}`,
    );
    expect(when(expiresAt)).toMatch(/2027/);
  });

  it('a stopped session shows its expiry but no idle stop; none of it when the backend sends none', async () => {
    const { unmount } = await renderCard({
      get: async () =>
        session('stopped', {
          idleStopAt: '2026-12-03T14:05:00Z',
          expiresAt: '2026-12-24T09:00:00Z',
        }),
      status: async () => ({ ...status({}), containers: [], pod: undefined }),
    });
    const line = await screen.findByTestId('lifecycle');
    expect(line).toHaveTextContent(/^Expires on .*2026/);
    expect(line).not.toHaveTextContent(/idle/);
    unmount();
    await renderCard({
      get: async () => session('ready'),
      status: async () => status({}),
    });
    await screen.findByTestId('session-state');
    expect(screen.queryByTestId('lifecycle')).toBeNull();
  });

  it('stops a ready session after a confirmation, then refreshes', async () => {
    const setRunning = jest.fn(async () => session('stopping'));
    const get = jest.fn(async () => session('ready'));
    await renderCard({ get, status: async () => status({}), setRunning });
    const controls = await screen.findByTestId('run-control');
    expect(controls).toHaveTextContent('StopDelete');
    await userEvent.click(
      within(controls).getByRole('button', { name: 'Stop' }),
    );
    expect(setRunning).not.toHaveBeenCalled();
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Stop the dev session of Checkout?');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Stop' }));
    expect(setRunning).toHaveBeenCalledWith(UUID, false);
    await waitFor(() => expect(get.mock.calls.length).toBeGreaterThan(1));
  });

  it('offers Start on a stopped session', async () => {
    await renderCard({
      get: async () => session('stopped'),
      status: async () => ({ ...status({}), containers: [], pod: undefined }),
    });
    expect(await screen.findByTestId('run-control')).toHaveTextContent(
      'StartDelete',
    );
  });

  it('hides Stop from people without dev-session.update', async () => {
    // another project: usePermission caches answers per permission and resource (swr)
    const other = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    await renderCard(
      {
        get: async () => ({ ...session('ready'), projectUuid: other }),
        status: async () => status({}),
      },
      entity,
      mockApis.permission({ authorize: AuthorizeResult.DENY }),
    );
    await screen.findByTestId('session-state');
    expect(screen.queryByTestId('run-control')).toBeNull();
  });

  it('unknown state from a newer backend is shown as unknown', async () => {
    await renderCard({
      get: async () => session('hibernating' as any),
      status: async () => status({}),
    });
    await waitFor(() =>
      expect(
        within(screen.getByTestId('session-state')).getByText('unknown'),
      ).toBeInTheDocument(),
    );
  });

  it('cluster unreachable: says so and keeps the last known state', async () => {
    let n = 0;
    await renderCard({
      get: async () => session('ready'),
      status: async () => {
        if (n++ === 0) return status({});
        throw new DevSessionsApiError(
          'Kubernetes cluster "prod" (config) is unreachable: ECONNREFUSED',
          503,
        );
      },
    });
    await waitFor(() => expect(link('Chat')).toBeInTheDocument());
    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(
      await screen.findByText(
        /cluster is unreachable; showing the last known state/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(/Kubernetes cluster "prod"/)).toBeInTheDocument();
    expect(link('Chat')).toBeInTheDocument();
  });

  it('no session: offers "Create dev session" linking to the template with the project pre-filled', async () => {
    await renderCard({
      get: async () => {
        throw new DevSessionsApiError('Project has no dev session', 404);
      },
      status: jest.fn(),
    });
    const a = (await screen.findByRole('link', {
      name: 'Create dev session',
    })) as HTMLAnchorElement;
    expect(a.getAttribute('href')).toBe(createSessionUrl(UUID, 'Checkout'));
    expect(decodeURIComponent(a.getAttribute('href')!)).toContain(
      `"projectUuid":"${UUID}"`,
    );
  });

  it('permission denied', async () => {
    await renderCard({
      get: async () => {
        throw new DevSessionsApiError('Not allowed: dev-session.read', 403);
      },
      status: jest.fn(),
    });
    expect(
      await screen.findByText(
        "You are not allowed to see this project's dev session.",
      ),
    ).toBeInTheDocument();
  });

  it('backend error: shows the message, not a blank card', async () => {
    await renderCard({
      get: async () => {
        throw new DevSessionsApiError('database is locked', 500);
      },
      status: jest.fn(),
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Could not load the dev session: database is locked',
    );
  });

  it('renders only http(s) URLs as links', async () => {
    const s = session('ready');
    // a script URL must never become a link
    const scriptUrl = ['javascript', 'alert(1)'].join(':');
    s.endpoints.preview.url = scriptUrl;
    const st = status({});
    st.endpoints.preview.url = scriptUrl;
    await renderCard({ get: async () => s, status: async () => st });
    await waitFor(() => expect(link('Chat')).toBeInTheDocument());
    expect(screen.queryByRole('link', { name: 'Preview' })).toBeNull();
    expect(button('Preview')).toBeDisabled();
  });

  it('deletes after a confirmation naming the project, shows it in flight, then says it is gone', async () => {
    let deleted = false;
    const del = jest.fn(async () => {
      deleted = true;
      return session('deleting');
    });
    // the first read after the delete says deleting, the next one (a poll later) 404
    let readsAfterDelete = 0;
    const get = jest.fn(async () => {
      if (deleted && ++readsAfterDelete > 1)
        throw new DevSessionsApiError('Project has no dev session', 404);
      return session(deleted ? 'deleting' : 'ready');
    });
    await renderCard({ get, status: async () => status({}), delete: del });
    const controls = await screen.findByTestId('run-control');
    await userEvent.click(
      within(controls).getByRole('button', { name: 'Delete' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Delete the dev session of Checkout?');
    expect(dialog).toHaveTextContent('cannot be undone');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete' }),
    );
    expect(del).toHaveBeenCalledWith(UUID);
    await waitFor(() =>
      expect(
        within(screen.getByTestId('session-state')).getByText('deleting'),
      ).toBeInTheDocument(),
    );
    // a transition in flight: no buttons to press, it says what is happening
    expect(screen.getByTestId('run-control')).toHaveTextContent('Deleting…');
    expect(
      within(screen.getByTestId('run-control')).queryByRole('button'),
    ).toBeNull();
    expect(
      await screen.findByTestId('session-gone', {}, { timeout: 15000 }),
    ).toHaveTextContent('The dev session of Checkout was deleted');
  });

  it('keeps asking after a refusal once the session was shown (a deletion racing the check), and says it is gone', async () => {
    const answers: Array<() => DevSession> = [
      () => session('deleting'),
      () => {
        throw new DevSessionsApiError('Not allowed: dev-session.read', 403);
      },
      () => {
        throw new DevSessionsApiError('Project has no dev session', 404);
      },
    ];
    const get = jest.fn(async () => (answers.shift() ?? answers[0])());
    await renderCard({ get, status: async () => status({}) });
    expect(
      await screen.findByTestId('session-gone', {}, { timeout: 15000 }),
    ).toHaveTextContent('The dev session of Checkout was deleted');
  });

  it('a failed session offers Retry (with its stored settings) and Delete, and shows why', async () => {
    const getOrCreate = jest.fn(async () => ({
      session: session('provisioning'),
      created: false,
    }));
    await renderCard({
      get: async () =>
        session('failed', {
          lastError: 'helm: timed out waiting for the condition',
        }),
      status: async () => ({ ...status({}), containers: [], pod: undefined }),
      getOrCreate,
    });
    const controls = await screen.findByTestId('run-control');
    expect(controls).toHaveTextContent('RetryDelete');
    expect(
      screen.getByText('helm: timed out waiting for the condition'),
    ).toBeInTheDocument();
    await userEvent.click(
      within(controls).getByRole('button', { name: 'Retry' }),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Retry',
      }),
    );
    expect(getOrCreate).toHaveBeenCalledWith(UUID, {
      projectId: 'Checkout',
      size: 'small',
    });
  });

  it('shows an action that failed with its message', async () => {
    await renderCard({
      get: async () => session('ready'),
      status: async () => status({}),
      setRunning: async () => {
        throw new DevSessionsApiError('Owner has 3 running sessions', 409);
      },
    });
    const controls = await screen.findByTestId('run-control');
    await userEvent.click(
      within(controls).getByRole('button', { name: 'Stop' }),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Stop',
      }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Stop failed: Owner has 3 running sessions',
    );
  });

  it('opens the logs of a crash-looping container on the previous container, and switches', async () => {
    const logs = jest.fn(async (_uuid: string, req: any) => {
      if (!req.previous)
        throw new DevSessionsApiError(
          'The chat container has not started yet; its log appears once it runs',
          409,
        );
      return {
        projectUuid: UUID,
        container: 'chat' as const,
        pod: 'dev-session-abc',
        previous: true,
        tailLines: 1000,
        text: 'Error: boom',
        truncated: false,
      };
    });
    await renderCard({
      get: async () => session('ready'),
      status: async () =>
        status({
          chat: {
            ready: false,
            state: 'waiting',
            reason: 'CrashLoopBackOff',
            restartCount: 4,
            lastTerminationReason: 'Error',
          },
        }),
      logs,
    });
    const chat = await screen.findByTestId('container-chat');
    await userEvent.click(
      within(chat).getByRole('button', { name: 'Chat logs' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Chat logs · Checkout');
    expect(logs).toHaveBeenCalledWith(UUID, {
      container: 'chat',
      previous: true,
      tailLines: 1000,
    });
    expect(
      await within(dialog).findByText(
        /Pod dev-session-abc · up to the last 1000 lines/,
      ),
    ).toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByRole('tab', { name: 'Current container' }),
    );
    expect(logs).toHaveBeenLastCalledWith(UUID, {
      container: 'chat',
      previous: false,
      tailLines: 1000,
    });
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'has not started yet',
    );
    // a healthy container opens on its current log
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Close' }),
    );
    await userEvent.click(
      within(screen.getByTestId('container-vscode')).getByRole('button', {
        name: 'VS Code logs',
      }),
    );
    expect(logs).toHaveBeenLastCalledWith(UUID, {
      container: 'vscode',
      previous: false,
      tailLines: 1000,
    });
  });

  it('shows warning events with a hint, and a ready session whose pod is not Ready as unhealthy', async () => {
    const st = status({});
    st.pod!.conditions = [
      {
        type: 'Ready',
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [chat]',
      },
    ];
    st.events = [
      {
        type: 'Normal',
        reason: 'Scheduled',
        message: 'Successfully assigned',
        object: 'Pod/dev-session-abc',
        count: 1,
      },
      {
        type: 'Warning',
        reason: 'NodeNotReady',
        message: 'Node is not ready',
        object: 'Pod/dev-session-abc',
        count: 2,
        lastTimestamp: new Date().toISOString(),
      },
    ];
    await renderCard({
      get: async () => session('ready'),
      status: async () => st,
    });
    const state = await screen.findByTestId('session-state');
    await waitFor(() => expect(state).toHaveTextContent('unhealthy'));
    expect(screen.getByTestId('pod-phase')).toHaveTextContent(
      'Running, ready False',
    );
    expect(
      screen.getByText(/its pod is not ready \(ContainersNotReady\)/),
    ).toBeInTheDocument();
    const events = screen.getByTestId('session-events');
    expect(events).toHaveTextContent('A warning from Kubernetes');
    expect(events).toHaveTextContent(
      'NodeNotReady on Pod/dev-session-abc (2×, last 0 s ago): Node is not ready',
    );
    expect(events).toHaveTextContent('The node running the session');
    expect(events).not.toHaveTextContent('Scheduled');
  });

  it('links the owner to its catalog page', async () => {
    await renderCard({
      get: async () => session('ready'),
      status: async () => status({}),
    });
    const owner = await screen.findByTestId('session-owner');
    expect(within(owner).getByRole('link')).toHaveAttribute(
      'href',
      '/catalog/default/group/payments',
    );
  });
});

describe('card helpers', () => {
  it('hints, safe URLs and ages', () => {
    expect(reasonHint('OOMKilled')).toMatch(/memory/);
    expect(reasonHint('Whatever')).toBeUndefined();
    expect(safeHttpUrl('https://x.example.com/a')).toBe(
      'https://x.example.com/a',
    );
    expect(safeHttpUrl('data:text/html,hi')).toBeUndefined();
    expect(safeHttpUrl('not a url')).toBeUndefined();
    expect(
      ago('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:02:00Z')),
    ).toBe('2 min ago');
  });
});
