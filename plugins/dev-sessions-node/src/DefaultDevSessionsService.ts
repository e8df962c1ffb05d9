import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import {
  DevSession,
  DevSessionCreateRequest,
  DevSessionDryRun,
  DevSessionGetOrCreateResult,
  DevSessionListFilter,
  DevSessionListPage,
  DevSessionListQuery,
  DevSessionLogs,
  DevSessionLogsRequest,
  DevSessionStatus,
  DevSessionsClient,
  DevSessionsWaitOptions,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import {
  DevSessionsService,
  DevSessionsServiceRequestOptions,
} from './DevSessionsService';

/**
 * The {@link DevSessionsService} of the default factory: the dev-sessions REST API, called with
 * a plugin request token issued on behalf of the given credentials. Construct it directly only
 * outside the backend system (scripts, tests); plugins get it through `devSessionsServiceRef`.
 *
 * @public
 */
export class DefaultDevSessionsService implements DevSessionsService {
  readonly #auth: AuthService;
  readonly #client: DevSessionsClient;

  constructor(options: {
    auth: AuthService;
    discovery: Pick<DiscoveryService, 'getBaseUrl'>;
    fetch?: typeof fetch;
  }) {
    this.#auth = options.auth;
    this.#client = new DevSessionsClient({
      discovery: options.discovery,
      fetchApi: options.fetch ? { fetch: options.fetch } : undefined,
    });
  }

  async getOrCreate(
    projectUuid: string,
    request: DevSessionCreateRequest,
    options: DevSessionsServiceRequestOptions & DevSessionsWaitOptions,
  ): Promise<DevSessionGetOrCreateResult> {
    return this.#client.getOrCreate(projectUuid, request, {
      token: await this.#token(options),
      wait: options.wait,
      timeoutSeconds: options.timeoutSeconds,
    });
  }

  async dryRun(
    projectUuid: string,
    request: DevSessionCreateRequest,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSessionDryRun> {
    return this.#client.dryRun(projectUuid, request, {
      token: await this.#token(options),
    });
  }

  async get(
    projectUuid: string,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSession> {
    return this.#client.get(projectUuid, { token: await this.#token(options) });
  }

  async status(
    projectUuid: string,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSessionStatus> {
    return this.#client.status(projectUuid, {
      token: await this.#token(options),
    });
  }

  async list(
    filter: DevSessionListFilter | undefined,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSession[]> {
    return this.#client.list(filter, { token: await this.#token(options) });
  }

  async listPage(
    query: DevSessionListQuery,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSessionListPage> {
    return this.#client.listPage(query, { token: await this.#token(options) });
  }

  async logs(
    projectUuid: string,
    request: DevSessionLogsRequest,
    options: DevSessionsServiceRequestOptions,
  ): Promise<DevSessionLogs> {
    return this.#client.logs(projectUuid, request, {
      token: await this.#token(options),
    });
  }

  async delete(
    projectUuid: string,
    options: DevSessionsServiceRequestOptions & DevSessionsWaitOptions,
  ): Promise<DevSession | undefined> {
    return this.#client.delete(projectUuid, {
      token: await this.#token(options),
      wait: options.wait,
      timeoutSeconds: options.timeoutSeconds,
    });
  }

  async setRunning(
    projectUuid: string,
    running: boolean,
    options: DevSessionsServiceRequestOptions & DevSessionsWaitOptions,
  ): Promise<DevSession> {
    return this.#client.setRunning(projectUuid, running, {
      token: await this.#token(options),
      wait: options.wait,
      timeoutSeconds: options.timeoutSeconds,
    });
  }

  async #token(options: DevSessionsServiceRequestOptions): Promise<string> {
    const { token } = await this.#auth.getPluginRequestToken({
      onBehalfOf: options.credentials,
      targetPluginId: 'dev-sessions',
    });
    return token;
  }
}
