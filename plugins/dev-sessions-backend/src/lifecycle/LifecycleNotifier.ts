import { LoggerService } from '@backstage/backend-plugin-api';
import { devSessionEntityRef } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { StoredSession } from '../database/SessionStore';

/** The topic of every notification of dev sessions (users can filter and mute it). */
export const NOTIFICATION_TOPIC = 'dev-sessions';

/** The session's entity page in the app (notification links are app paths). */
export function entityPath(s: StoredSession): string {
  const ref = devSessionEntityRef(s.projectId, s.projectUuid);
  const [, kind, namespace, name] = /^([^:]+):([^/]+)\/(.+)$/.exec(ref)!;
  return `/catalog/${namespace}/${kind}/${name}`;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Tells a session's owner what the platform does to it (Backstage notifications, when the
 * notifications plugin is installed; otherwise the backend log says it). A failed notification
 * never stops the lifecycle: it is logged.
 */
export class LifecycleNotifier {
  constructor(
    private readonly deps: {
      logger: LoggerService;
      notifications?: NotificationService;
    },
  ) {}

  private async send(
    s: StoredSession,
    title: string,
    description: string,
    severity: 'low' | 'normal' | 'high',
  ): Promise<void> {
    const { notifications, logger } = this.deps;
    logger.info(`Dev session ${s.projectUuid} (${s.owner}): ${title}`);
    if (!notifications) return;
    try {
      await notifications.send({
        recipients: { type: 'entity', entityRef: s.owner },
        payload: {
          title,
          description,
          link: entityPath(s),
          severity,
          topic: NOTIFICATION_TOPIC,
          scope: `dev-session:${s.projectUuid}`,
        },
      });
    } catch (e) {
      logger.warn(
        `Could not notify ${s.owner} about dev session ${s.projectUuid}: ${e}`,
      );
    }
  }

  /** The session will be deleted at `at` unless it is used before. */
  expiring(s: StoredSession, at: Date): Promise<void> {
    return this.send(
      s,
      `Your dev session "${s.projectId}" will be deleted on ${day(at)}`,
      `It has not been used since ${day(
        new Date(s.lastActivityAt!),
      )}. Open or start it before ${at.toISOString()} to keep it; after that its workspace is deleted.`,
      'high',
    );
  }

  /** The session was deleted for being unused. */
  expired(s: StoredSession): Promise<void> {
    return this.send(
      s,
      `Your dev session "${s.projectId}" was deleted`,
      `It had not been used since ${s.lastActivityAt}. Create it again from its template to get a new one.`,
      'normal',
    );
  }

  /** The session was stopped for being idle; its workspace stays. */
  stoppedIdle(s: StoredSession): Promise<void> {
    return this.send(
      s,
      `Your dev session "${s.projectId}" was stopped after being idle`,
      `Nothing used it since ${s.lastActivityAt}. Its workspace is kept: start it again from its page.`,
      'low',
    );
  }
}
