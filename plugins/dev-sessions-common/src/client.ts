import type { DevSession, DevSessionSize, DevSessionStatus } from './types';

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
        body?.error?.message ??
        (typeof body === 'string' && body) ??
        res.statusText;
      throw new DevSessionsApiError(message, res.status, body?.error?.name);
    }
    return { status: res.status, body };
  }

  /** Get-or-create; `created` is true when this call created the session. */
  async getOrCreate(
    projectUuid: string,
    request: DevSessionCreateRequest,
    opts: DevSessionsCallOptions & {
      wait?: boolean;
      timeoutSeconds?: number;
    } = {},
  ): Promise<{ session: DevSession; created: boolean }> {
    const r = await this.request<DevSession>(
      'PUT',
      `/projects/${encodeURIComponent(projectUuid)}/session`,
      {
        ...opts,
        body: request,
        query: {
          wait: opts.wait ? 'true' : undefined,
          timeoutSeconds: opts.timeoutSeconds?.toString(),
        },
      },
    );
    return { session: r.body, created: r.status === 201 };
  }

  /** Renders the chart for a request and returns what would be created; changes nothing. */
  async dryRun(
    projectUuid: string,
    request: DevSessionCreateRequest,
    opts: DevSessionsCallOptions = {},
  ): Promise<DevSessionDryRun> {
    const r = await this.request<DevSessionDryRun>(
      'PUT',
      `/projects/${encodeURIComponent(projectUuid)}/session`,
      {
        ...opts,
        body: request,
        query: { dryRun: 'true' },
      },
    );
    return r.body;
  }

  async get(
    projectUuid: string,
    opts: DevSessionsCallOptions = {},
  ): Promise<DevSession> {
    return (
      await this.request<DevSession>(
        'GET',
        `/projects/${encodeURIComponent(projectUuid)}/session`,
        opts,
      )
    ).body;
  }

  async status(
    projectUuid: string,
    opts: DevSessionsCallOptions = {},
  ): Promise<DevSessionStatus> {
    return (
      await this.request<DevSessionStatus>(
        'GET',
        `/projects/${encodeURIComponent(projectUuid)}/session/status`,
        opts,
      )
    ).body;
  }

  async delete(
    projectUuid: string,
    opts: DevSessionsCallOptions = {},
  ): Promise<void> {
    await this.request(
      'DELETE',
      `/projects/${encodeURIComponent(projectUuid)}/session`,
      opts,
    );
  }

  async list(
    filter: { owner?: string } = {},
    opts: DevSessionsCallOptions = {},
  ): Promise<DevSession[]> {
    return (
      await this.request<{ items: DevSession[] }>('GET', '/sessions', {
        ...opts,
        query: { owner: filter.owner },
      })
    ).body.items;
  }
}
