import { LoggerService } from '@backstage/backend-plugin-api';
import {
  DevSession,
  DevSessionChange,
  devSessionEntityRef,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { StoredSession } from '../database/SessionStore';
import { SessionLinks } from '../gateway/SessionLinks';
import { LifecyclePolicy } from '../lifecycle/LifecyclePolicy';

/**
 * Turns stored sessions into the public shape and tells listeners (the events service, and
 * through it the catalog module) about every change.
 */
export class SessionEvents {
  private readonly listeners = new Set<(c: DevSessionChange) => void>();

  constructor(
    private readonly logger: LoggerService,
    readonly clusterName: string,
    private readonly links: SessionLinks,
    /** The platform's idle stop and expiry, shown on each session. */
    private readonly lifecycle?: LifecyclePolicy,
  ) {}

  onChange(listener: (c: DevSessionChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The session as the API returns it (without the stored values; with its signed-in links). */
  toPublic(s: StoredSession): DevSession {
    const {
      values: _values,
      targets: _targets,
      expiryNotifiedAt: _notified,
      ...rest
    } = s;
    return {
      ...rest,
      idleStopAt: this.lifecycle?.idleStopAt(s)?.toISOString(),
      expiresAt: this.lifecycle?.expiresAt(s)?.toISOString(),
      endpoints: this.links.endpoints(s),
      entityRef: devSessionEntityRef(s.projectId, s.projectUuid),
      cluster: this.clusterName,
    };
  }

  upserted(s: StoredSession | undefined): void {
    if (s) this.emit({ type: 'upsert', session: this.toPublic(s) });
  }

  deleted(s: StoredSession): void {
    this.emit({
      type: 'delete',
      projectUuid: s.projectUuid,
      entityRef: devSessionEntityRef(s.projectId, s.projectUuid),
    });
  }

  private emit(c: DevSessionChange) {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (e) {
        this.logger.warn(`dev-sessions change listener failed: ${e}`);
      }
    }
  }
}
