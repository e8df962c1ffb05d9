import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  DEV_SESSION_ROLES,
  DEV_SESSION_SIZES,
  DEV_SESSION_STATES,
  DevSession,
  DevSessionsApiError,
  DevSessionStatus,
  PROJECT_UUID_PATTERN,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import type { DevSessionsService } from '@dev-sessions/backstage-plugin-dev-sessions-node';
import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import type { z as zod } from 'zod/v3';

type Z = typeof zod;

/** What every dev-session action needs: the registry and the sessions service. */
export interface DevSessionActionsOptions {
  actionsRegistry: ActionsRegistryService;
  /**
   * The sessions service the scaffolder actions use too: the REST API on behalf of the caller,
   * so validation, policy, permissions and audit are the REST API's.
   */
  sessions: DevSessionsService;
}

export const projectUuidSchema = (z: Z) =>
  z
    .string()
    .regex(
      PROJECT_UUID_PATTERN,
      'must be a UUID such as 2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10',
    )
    .describe("The project's UUID (names its session and namespace)");

export const waitSchema = (z: Z, what: string) =>
  z
    .boolean()
    .default(true)
    .describe(`Wait until ${what} (default true); false returns at once`);

const linksSchema = (z: Z) =>
  z
    .object({
      preview: z.string().describe('The app preview (port 3000)'),
      chat: z.string().describe('The AI chat agent (port 3001)'),
      vscode: z.string().describe('Browser VS Code (port 8080)'),
    })
    .describe(
      'Signed-in links: each opens the role in a browser for people allowed to read the session',
    );

/** A session as an agent sees it: what it is, where it stands and its links. */
export const sessionSchema = (z: Z) =>
  z.object({
    projectUuid: z.string(),
    projectName: z.string(),
    owner: z.string().describe('Owner entity ref (a user or a group)'),
    state: z
      .enum(DEV_SESSION_STATES as [string, ...string[]])
      .describe(
        'provisioning, ready, failed, deleting, stopping, stopped or starting',
      ),
    size: z.enum(DEV_SESSION_SIZES),
    namespace: z.string(),
    entityRef: z.string().describe("The session's catalog entity"),
    links: linksSchema(z),
    lastError: z.string().optional().describe('Why a failed session failed'),
    createdAt: z.string(),
    lastActivityAt: z.string().optional(),
    expiresAt: z
      .string()
      .optional()
      .describe('When the platform deletes it if it is not used'),
  });

export type SessionOutput = zod.infer<ReturnType<typeof sessionSchema>>;

export function sessionOutput(s: DevSession): SessionOutput {
  return {
    projectUuid: s.projectUuid,
    projectName: s.projectId,
    owner: s.owner,
    state: s.state,
    size: s.size,
    namespace: s.namespace,
    entityRef: s.entityRef,
    links: {
      preview: s.endpoints.preview.url,
      chat: s.endpoints.chat.url,
      vscode: s.endpoints.vscode.url,
    },
    ...(s.lastError ? { lastError: s.lastError } : {}),
    createdAt: s.createdAt,
    ...(s.lastActivityAt ? { lastActivityAt: s.lastActivityAt } : {}),
    ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
  };
}

/** Live status: the pod and each container, and Kubernetes' warnings. */
export const statusSchema = (z: Z) =>
  z.object({
    clusterReachable: z.boolean(),
    pod: z
      .object({
        name: z.string(),
        phase: z.string(),
        ready: z.boolean(),
      })
      .optional()
      .describe('Absent while stopped or before the pod exists'),
    containers: z.array(
      z.object({
        role: z.enum(DEV_SESSION_ROLES),
        ready: z.boolean(),
        state: z.string(),
        reason: z
          .string()
          .optional()
          .describe('e.g. CrashLoopBackOff, ImagePullBackOff, OOMKilled'),
        restartCount: z.number(),
      }),
    ),
    warnings: z
      .array(z.string())
      .describe(
        'Warning events, e.g. "FailedScheduling: 0/1 nodes are available …"',
      ),
  });

export function statusOutput(st: DevSessionStatus) {
  const ready = st.pod?.conditions.find(c => c.type === 'Ready');
  return {
    clusterReachable: st.clusterReachable,
    ...(st.pod
      ? {
          pod: {
            name: st.pod.name,
            phase: st.pod.phase,
            ready: ready?.status === 'True',
          },
        }
      : {}),
    containers: st.containers
      .filter(c => c.role)
      .map(c => ({
        role: c.role!,
        ready: c.ready,
        state: c.state,
        ...(c.reason ? { reason: c.reason } : {}),
        restartCount: c.restartCount,
      })),
    warnings: st.events
      .filter(e => e.type === 'Warning')
      .slice(0, 10)
      .map(e => `${e.reason}: ${e.message}`),
  };
}

/**
 * Runs a call of the REST API and answers its errors as Backstage errors of the same kind, with
 * the REST API's message (which names the field and the rule).
 */
export async function calling<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof DevSessionsApiError)) throw e;
    switch (e.status) {
      case 400:
        throw new InputError(e.message);
      case 401:
      case 403:
        throw new NotAllowedError(e.message);
      case 404:
        throw new NotFoundError(e.message);
      case 409:
        throw new ConflictError(e.message);
      case 503:
        throw new ServiceUnavailableError(e.message);
      default:
        throw e;
    }
  }
}
