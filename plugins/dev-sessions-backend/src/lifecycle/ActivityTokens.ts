import { LABEL_DEV_SESSION_PROJECT_UUID } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Cluster } from '../cluster/Cluster';
import { SessionStore, StoredSession } from '../database/SessionStore';

/** Heartbeat tokens start with this, so the activity route tells them from Backstage tokens. */
export const ACTIVITY_TOKEN_PREFIX = 'dsa_';

const sha256 = (token: string) =>
  createHash('sha256').update(token).digest('hex');

/** Whose heartbeat token a request carries. */
export type ActivityTokenCheck = 'valid' | 'unknown' | 'other-session';

/**
 * The per-session heartbeat tokens. Each session's namespace holds a Secret (made by the
 * backend, never by the chart, so the token is in no Helm release) with the heartbeat's `url`
 * and `token`; the chart gives them to the workspace's containers. The database keeps only the
 * token's SHA-256, so the database lets nobody in, and any replica checks any token.
 */
export class ActivityTokens {
  constructor(
    private readonly deps: {
      store: SessionStore;
      cluster: Cluster;
      /** Name of the Secret in each session namespace. */
      secretName: string;
      /** The plugin's base URL as the session's pods reach it. */
      baseUrl: () => Promise<string>;
    },
  ) {}

  get secretName(): string {
    return this.deps.secretName;
  }

  /**
   * Makes sure the session's namespace holds its heartbeat Secret and the database the token's
   * hash; a Secret that is missing, changed or points elsewhere gets a new token. Run by the
   * provision and start jobs once the namespace exists, before Helm.
   */
  async ensure(s: StoredSession): Promise<void> {
    const { store, cluster, secretName } = this.deps;
    const url = `${await this.deps.baseUrl()}/projects/${
      s.projectUuid
    }/session/activity`;
    const known = await store.activityTokenHash(s.projectUuid);
    const current = await cluster.readSecretData(s.namespace, secretName);
    if (
      current?.token &&
      current.url === url &&
      sha256(current.token) === known
    )
      return;
    const token = `${ACTIVITY_TOKEN_PREFIX}${randomBytes(32).toString(
      'base64url',
    )}`;
    await cluster.writeSecret(
      s.namespace,
      secretName,
      { url, token },
      { [LABEL_DEV_SESSION_PROJECT_UUID]: s.projectUuid },
    );
    await store.setActivityTokenHash(s.projectUuid, sha256(token));
  }

  /** Whether `token` is the heartbeat token of this project, of another one, or of none. */
  async check(projectUuid: string, token: string): Promise<ActivityTokenCheck> {
    const { store } = this.deps;
    const presented = Buffer.from(sha256(token), 'hex');
    const known = await store.activityTokenHash(projectUuid);
    if (known && timingSafeEqual(Buffer.from(known, 'hex'), presented))
      return 'valid';
    return (await store.projectOfActivityToken(sha256(token)))
      ? 'other-session'
      : 'unknown';
  }
}
