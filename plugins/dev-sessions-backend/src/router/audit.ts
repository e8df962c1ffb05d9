import { AuditorService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { Request } from 'express';

/** What an audited step returns: its result and how it ended (undefined values are dropped). */
export interface AuditedOutcome<T> {
  result: T;
  meta?: Record<string, string | boolean | undefined>;
}

/** Runs a step as one audit event: who did what to which project, and how it ended. */
export type Audited = <T>(
  eventId: string,
  req: Request,
  meta: JsonObject,
  fn: () => Promise<AuditedOutcome<T>>,
) => Promise<T>;

function compact(
  meta: Record<string, string | boolean | undefined>,
): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(meta)) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function createAudited(auditor: AuditorService): Audited {
  return async (eventId, req, meta, fn) => {
    const event = await auditor.createEvent({
      eventId,
      request: req,
      severityLevel: 'medium',
      meta,
    });
    try {
      const { result, meta: outcome } = await fn();
      await event.success({ meta: outcome && compact(outcome) });
      return result;
    } catch (error) {
      await event.fail({
        error: error instanceof Error ? error : new Error(String(error)),
      });
      throw error;
    }
  };
}
