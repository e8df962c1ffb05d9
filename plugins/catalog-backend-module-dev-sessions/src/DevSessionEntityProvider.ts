import {
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
} from '@backstage/catalog-model';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_DEV_SESSION_PROJECT_UUID,
  DEV_SESSION_ENTITY_TYPE,
  DevSession,
  DevSessionChange,
  devSessionEntityName,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';

const PROVIDER = 'dev-sessions';
const LOCATION = `${PROVIDER}:sessions`;

/** Where the provider reads sessions from (the dev-sessions service in production). @public */
export interface DevSessionSource {
  list(): Promise<DevSession[]>;
}

const STATE_TEXT: Record<string, string> = {
  provisioning: 'being created',
  ready: 'ready',
  failed: 'failed',
  deleting: 'being deleted',
  stopping: 'stopping',
  stopped: 'stopped (its workspace is kept)',
  starting: 'starting',
};

/** The catalog entity of one session: a Resource of type dev-session. @public */
export function sessionToEntity(s: DevSession): Entity {
  const name = devSessionEntityName(s.projectId, s.projectUuid);
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name,
      namespace: 'default',
      title: `Dev session: ${s.projectId}`,
      description: `Always-on development environment of project ${
        s.projectId
      } (${s.projectUuid}), ${STATE_TEXT[s.state] ?? s.state}${
        s.state === 'failed' && s.lastError
          ? `: ${s.lastError.slice(0, 300)}`
          : ''
      }. Stop, start or delete it from the Dev session card on this page: deleting this catalog entry does not delete the session, and the entry comes back.`,
      annotations: {
        [ANNOTATION_DEV_SESSION_PROJECT_UUID]: s.projectUuid,
        'dev-sessions.io/state': s.state,
        'backstage.io/kubernetes-namespace': s.namespace,
        'backstage.io/kubernetes-label-selector': `${ANNOTATION_DEV_SESSION_PROJECT_UUID}=${s.projectUuid}`,
        'backstage.io/kubernetes-cluster': s.cluster,
        [ANNOTATION_LOCATION]: LOCATION,
        [ANNOTATION_ORIGIN_LOCATION]: LOCATION,
      },
      labels: { 'dev-sessions.io/state': s.state },
      tags: ['dev-session', `size-${s.size}`],
      links: [
        {
          url: s.endpoints.preview.url,
          title: 'Preview',
          icon: 'web',
          type: 'preview',
        },
        {
          url: s.endpoints.chat.url,
          title: 'Chat',
          icon: 'chat',
          type: 'chat',
        },
        {
          url: s.endpoints.vscode.url,
          title: 'VS Code',
          icon: 'code',
          type: 'vscode',
        },
      ],
    },
    spec: {
      type: DEV_SESSION_ENTITY_TYPE,
      owner: s.owner,
      // a development environment, never a production system
      lifecycle: 'development',
      ...(s.component ? { dependencyOf: [s.component] } : {}),
    },
  };
}

/**
 * Keeps one catalog entity per dev-session project: a full mutation on a schedule, and a delta
 * as soon as the dev-sessions backend reports a change.
 * @public
 */
export class DevSessionEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;

  constructor(
    private readonly deps: {
      source: DevSessionSource;
      logger: LoggerService;
      schedule?: SchedulerServiceTaskRunner;
    },
  ) {}

  getProviderName(): string {
    return PROVIDER;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.deps.schedule?.run({
      id: `${PROVIDER}:refresh`,
      fn: async () => {
        try {
          await this.refresh();
        } catch (e) {
          this.deps.logger.warn(
            `dev-sessions catalog refresh failed: ${(e as Error).message}`,
          );
        }
      },
    });
  }

  /** Full mutation: exactly the current sessions. Returns how many entities were emitted. */
  async refresh(): Promise<number> {
    if (!this.connection)
      throw new Error('DevSessionEntityProvider is not connected');
    const sessions = await this.deps.source.list();
    await this.connection.applyMutation({
      type: 'full',
      entities: sessions.map(s => ({
        entity: sessionToEntity(s),
        locationKey: LOCATION,
      })),
    });
    return sessions.length;
  }

  /** Delta for one change (created, state changed, deleted). */
  async onChange(change: DevSessionChange): Promise<void> {
    if (!this.connection) return;
    if (change.type === 'upsert') {
      await this.connection.applyMutation({
        type: 'delta',
        added: [
          { entity: sessionToEntity(change.session), locationKey: LOCATION },
        ],
        removed: [],
      });
    } else {
      await this.connection.applyMutation({
        type: 'delta',
        added: [],
        removed: [{ entityRef: change.entityRef, locationKey: LOCATION }],
      });
    }
  }
}
