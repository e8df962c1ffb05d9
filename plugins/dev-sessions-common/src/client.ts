import type {
  DevSession,
  DevSessionRole,
  DevSessionSize,
  DevSessionState,
  DevSessionStatus,
} from './types';

/** Finds the base URL of a plugin (Backstage's DiscoveryApi / DiscoveryService). @public */
export interface DevSessionsDiscovery {
  getBaseUrl(pluginId: string): Promise<string>;
}

/** Body of a get-or-create request. @public */
export interface DevSessionCreateRequest {
  projectId?: string;
  owner?: string;
  component?: string;
  size?: DevSessionSize;
  values?: Record<string, unknown>;
}

/** Result of a dry run: what would be created. @public */
export interface DevSessionDryRun {
  dryRun: true;
  session: DevSession;
  objects: string[];
  manifests: string;
}

/** An error answer of the dev-sessions API, with its HTTP status. @public */
export class DevSessionsApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorName?: string,
  ) {
    super(message);
    this.name = 'DevSessionsApiError';
  }
}

/** Per-call options: a Backstage token (backend callers) or none (fetchApi adds it). @public */
export interface DevSessionsCallOptions {
  token?: string;
}

/**
 * Waiting options of create and delete. Without `wait` the call returns at once with the
 * stored state; with it the backend answers when the session is no longer `provisioning`
 * (create) or is gone (delete), or when `timeoutSeconds` have passed.
 * @public
 */
export interface DevSessionsWaitOptions {
  wait?: boolean;
  /** Helm timeout of a create, and how long a `wait` may block on the backend. */
  timeoutSeconds?: number;
}

/** What a get-or-create returned; `created` is true when this call created the session. @public */
export interface DevSessionGetOrCreateResult {
  session: DevSession;
  created: boolean;
}

/** Filter of a session list. @public */
export interface DevSessionListFilter {
  /** Only sessions of this owner entity ref. */
  owner?: string;
}

/** One page of the session list: filters, search and paging run on the backend. @public */
export interface DevSessionListQuery {
  /** Only sessions the caller owns: owned by the signed-in user or one of their groups. */
  mine?: boolean;
  /** Only sessions of this owner entity ref. */
  owner?: string;
  /** Only sessions in one of these states. */
  states?: DevSessionState[];
  /** Case-insensitive text found in the project name, project UUID or owner. */
  search?: string;
  /** Rows to skip (default 0). */
  offset?: number;
  /** Rows to return (default 25, at most 500). */
  limit?: number;
}

/** A page of sessions and how many match in all. @public */
export interface DevSessionListPage {
  items: DevSession[];
  totalCount: number;
  offset: number;
  limit: number;
}

/** Which log to read: a container by role, its previous instance, how many lines. @public */
export interface DevSessionLogsRequest {
  container: DevSessionRole;
  /** The log of the container's previous instance (after a restart or crash). */
  previous?: boolean;
  /** The last N lines (default 500, at most 5000). */
  tailLines?: number;
}

/** The last lines of one container's log. @public */
export interface DevSessionLogs {
  projectUuid: string;
  container: DevSessionRole;
  /** The pod the log was read from. */
  pod: string;
  previous: boolean;
  tailLines: number;
  text: string;
  /** True when the log was cut at the backend's size limit. */
  truncated: boolean;
}

/**
 * Client of the dev-sessions REST API (`/api/dev-sessions`), for the frontend (with fetchApi)
 * and for backend modules (with a plugin request token).
 * @public
 */
export class DevSessionsClient {
  private readonly discovery: DevSessionsDiscovery;
  private readonly fetchFn: typeof fetch;

  constructor(options: {
    discovery: DevSessionsDiscovery;
    fetchApi?: { fetch: typeof fetch };
  }) {
    this.discovery = options.discovery;
    this.fetchFn =
      options.fetchApi?.fetch ?? ((input, init) => fetch(input, init));
  }

  private async request<T>(
    method: string,
    path: string,
    opts: DevSessionsCallOptions & {
      body?: unknown;
      query?: Record<string, string | undefined>;
    } = {},
  ): Promise<{ status: number; body: T }> {
    const base = await this.discovery.getBaseUrl('dev-sessions');
    const qs = new URLSearchParams(
      Object.entries(opts.query ?? {}).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    ).toString();
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchFn(`${base}${path}${qs ? `?${qs}` : ''}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: any = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (!res.ok) {
      const message =
        body?.error?.message ||
        (typeof body === 'string' && body) ||
        res.statusText ||
        `HTTP ${res.status}`;
      throw new DevSessionsApiError(message, res.status, body?.error?.name);
    }
    return { status: res.status, body };
  }

  /**
   * Issues or renews Backstage's user cookie for the dev-sessions plugin (the frontend's
   * fetchApi adds the user's token): the cookie signs in the session links, which open in a new
   * tab without a token. Returns when it expires.
   */
  async refreshLinkCookie(): Promise<{ expiresAt: string }> {
    const base = await this.discovery.getBaseUrl('dev-sessions');
    const res = await this.fetchFn(`${base}/.backstage/auth/v1/cookie`, {
      credentials: 'include',
    });
    if (!res.ok)
      throw new DevSessionsApiError(
        `Could not sign in the session links: ${res.status} ${res.statusText}`,
        res.status,
      );
    return (await res.json()) as { expiresAt: string };
  }

  /** The get-or-create request of a project's session (PUT), with the query that says how. */
  private put<T>(
    projectUuid: string,
    request: DevSessionCreateRequest,
    token: string | undefined,
    query: Record<string, string | undefined>,
  ): Promise<{ status: number; body: T }> {
    return this.request<T>('PUT', sessionPath(projectUuid), {
      token,
      body: request,
      query,
    });
  }

  /** Get-or-create; `created` is true when this call created the session. */
  async getOrCreate(
    projectUuid: string,
    request: DevSessionCreateRequest,
    opts: DevSessionsCallOptions & DevSessionsWaitOptions = {},
  ): Promise<DevSessionGetOrCreateResult> {
    const r = await this.put<DevSession>(
      projectUuid,
      request,
      opts.token,
      waitQuery(opts),
    );
    return { session: r.body, created: r.status === 201 };
  }

  /** Renders the chart for a request and returns what would be created; changes nothing. */
  async dryRun(
    projectUuid: string,
    request: DevSessionCreateRequest,
    opts: DevSessionsCallOptions = {},
  ): Promise<DevSessionDryRun> {
    const r = await this.put<DevSessionDryRun>(
      projectUuid,
      request,
      opts.token,
      {
        dryRun: 'true',
      },
    );
    return r.body;
  }

  async get(
    projectUuid: string,
    opts: DevSessionsCallOptions = {},
  ): Promise<DevSession> {
    return (
      await this.request<DevSession>('GET', sessionPath(projectUuid), opts)
    ).body;
  }

  async status(
    projectUuid: string,
    opts: DevSessionsCallOptions = {},
  ): Promise<DevSessionStatus> {
    return (
      await this.request<DevSessionStatus>(
        'GET',
        `${sessionPath(projectUuid)}/status`,
        opts,
      )
    ).body;
  }

  /**
   * Deletes the session. The backend answers 202 with the session (state `deleting`) while it
   * is still being deleted and 204 once it is gone or when there was none: this returns the
   * session in the first case and undefined in the second. With `wait` the backend blocks until
   * the session is gone, or answers 202 when `timeoutSeconds` have passed.
   */
  async delete(
    projectUuid: string,
    opts: DevSessionsCallOptions & DevSessionsWaitOptions = {},
  ): Promise<DevSession | undefined> {
    const r = await this.request<DevSession | undefined>(
      'DELETE',
      sessionPath(projectUuid),
      { token: opts.token, query: waitQuery(opts) },
    );
    return r.status === 202 ? r.body : undefined;
  }

  /**
   * Stops (`running: false`) or starts the project's session; idempotent. Returns the session,
   * `stopped`/`ready` once there, `stopping`/`starting` on the way (`wait` blocks until done).
   */
  async setRunning(
    projectUuid: string,
    running: boolean,
    opts: DevSessionsCallOptions & DevSessionsWaitOptions = {},
  ): Promise<DevSession> {
    const r = await this.request<DevSession>(
      'POST',
      `${sessionPath(projectUuid)}/${running ? 'start' : 'stop'}`,
      { token: opts.token, query: waitQuery(opts) },
    );
    return r.body;
  }

  async list(
    filter: DevSessionListFilter = {},
    opts: DevSessionsCallOptions = {},
  ): Promise<DevSession[]> {
    return (
      await this.request<{ items: DevSession[] }>('GET', '/sessions', {
        token: opts.token,
        query: { owner: filter.owner },
      })
    ).body.items;
  }

  /** One page of the sessions the caller may read, filtered, searched and paged on the backend. */
  async listPage(
    query: DevSessionListQuery = {},
    opts: DevSessionsCallOptions = {},
  ): Promise<DevSessionListPage> {
    return (
      await this.request<DevSessionListPage>('GET', '/sessions', {
        token: opts.token,
        query: {
          mine: query.mine ? 'true' : undefined,
          owner: query.owner,
          state: query.states?.length ? query.states.join(',') : undefined,
          q: query.search || undefined,
          // always: a query without any paging parameter is answered in the old shape
          offset: (query.offset ?? 0).toString(),
          limit: query.limit?.toString(),
        },
      })
    ).body;
  }

  /** The last lines of a container's log (`previous`: of the instance before its last restart). */
  async logs(
    projectUuid: string,
    request: DevSessionLogsRequest,
    opts: DevSessionsCallOptions = {},
  ): Promise<DevSessionLogs> {
    return (
      await this.request<DevSessionLogs>(
        'GET',
        `${sessionPath(projectUuid)}/logs`,
        {
          token: opts.token,
          query: {
            container: request.container,
            previous: request.previous ? 'true' : undefined,
            tailLines: request.tailLines?.toString(),
          },
        },
      )
    ).body;
  }
}

/** The path of a project's session in the REST API. */
function sessionPath(projectUuid: string): string {
  return `/projects/${encodeURIComponent(projectUuid)}/session`;
}

function waitQuery(
  opts: DevSessionsWaitOptions,
): Record<string, string | undefined> {
  return {
    wait: opts.wait ? 'true' : undefined,
    timeoutSeconds: opts.timeoutSeconds?.toString(),
  };
}
