import { DevSessionRole } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { Knex } from 'knex';
import { createHash, randomBytes } from 'node:crypto';

const TABLE = 'dev_session_gateway_tokens';

/** How long a ticket from the open route may take to reach the gateway. */
export const TICKET_TTL_MS = 60_000;

/** Who a gateway token lets in, and where. */
export interface GatewayGrant {
  projectUuid: string;
  role: DevSessionRole;
  userRef: string;
  expiresAt: number;
}

type Row = {
  token_hash: string;
  kind: string;
  project_uuid: string;
  role: string;
  user_ref: string;
  expires_at: number | string;
};

const hash = (token: string) =>
  createHash('sha256').update(token).digest('hex');

/**
 * Tickets and sign-ins of the gateway, in the plugin's database (so any replica redeems what
 * another issued). A ticket is used once; a sign-in lasts until it expires or its session is
 * deleted. Tokens are random 256-bit strings; only their hashes are stored.
 */
export class GatewayTokenStore {
  constructor(
    private readonly db: Knex,
    private readonly clock: () => number = Date.now,
  ) {}

  private async issue(
    kind: 'ticket' | 'signin',
    grant: Omit<GatewayGrant, 'expiresAt'>,
    ttlMs: number,
  ): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.clock() + ttlMs;
    await this.db<Row>(TABLE).insert({
      token_hash: hash(token),
      kind,
      project_uuid: grant.projectUuid,
      role: grant.role,
      user_ref: grant.userRef,
      expires_at: expiresAt,
    });
    return { token, expiresAt };
  }

  /** A one-time ticket for one role of one session, valid for a minute. */
  async issueTicket(grant: Omit<GatewayGrant, 'expiresAt'>): Promise<string> {
    return (await this.issue('ticket', grant, TICKET_TTL_MS)).token;
  }

  /** Redeems a ticket: returns its grant once (a second redemption, or a late one, gets nothing). */
  async redeemTicket(ticket: string): Promise<GatewayGrant | undefined> {
    const where = { token_hash: hash(ticket), kind: 'ticket' };
    const row = await this.db<Row>(TABLE).where(where).first();
    if (!row) return undefined;
    // the DELETE decides: of two replicas redeeming at once, one deletes the row
    const deleted = await this.db<Row>(TABLE).where(where).delete();
    const grant = toGrant(row);
    return deleted === 1 && grant.expiresAt > this.clock() ? grant : undefined;
  }

  /** A sign-in on the role's origin, which the gateway keeps in a cookie. */
  async issueSignin(
    grant: Omit<GatewayGrant, 'expiresAt'>,
    ttlMs: number,
  ): Promise<{ token: string; expiresAt: number }> {
    return this.issue('signin', grant, ttlMs);
  }

  async findSignin(token: string): Promise<GatewayGrant | undefined> {
    const row = await this.db<Row>(TABLE)
      .where({ token_hash: hash(token), kind: 'signin' })
      .first();
    const grant = row && toGrant(row);
    return grant && grant.expiresAt > this.clock() ? grant : undefined;
  }

  /** Forgets every token of a project (its session is being deleted). */
  async removeProject(projectUuid: string): Promise<void> {
    await this.db<Row>(TABLE).where({ project_uuid: projectUuid }).delete();
  }

  /** Deletes expired tokens; returns how many. */
  async purgeExpired(): Promise<number> {
    return this.db<Row>(TABLE).where('expires_at', '<=', this.clock()).delete();
  }
}

function toGrant(r: Row): GatewayGrant {
  return {
    projectUuid: r.project_uuid,
    role: r.role as DevSessionRole,
    userRef: r.user_ref,
    // PostgreSQL returns bigint as a string
    expiresAt: Number(r.expires_at),
  };
}
