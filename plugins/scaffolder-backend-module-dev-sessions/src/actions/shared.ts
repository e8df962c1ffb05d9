import {
  TemplateActionOptions,
  TemplateExample,
} from '@backstage/plugin-scaffolder-node';
import { DevSessionsService } from '@dev-sessions/backstage-plugin-dev-sessions-node';
import yaml from 'yaml';

/** Options of the dev-session actions. @public */
export interface DevSessionActionOptions {
  sessions: DevSessionsService;
  /**
   * Pause between two requests while waiting for the session (default 250 ms: the session is
   * one database read and its live status comes from the backend's watch cache, so a task
   * notices `ready` within a quarter second of the backend).
   */
  pollIntervalMs?: number;
}

/** The pause between two requests while waiting for the session. */
export const pause = (options: DevSessionActionOptions) =>
  new Promise(r => setTimeout(r, options.pollIntervalMs ?? 250));

/** The zod an action's input schema is built with. */
type Zod = Parameters<
  NonNullable<NonNullable<TemplateActionOptions['schema']>['input']>[string]
>[0];

/** The `projectUuid` input of the actions: a UUID (each handler lower-cases it). */
export const projectUuidInput = (z: Zod) =>
  z.string().uuid('projectUuid must be a UUID');

/** The `timeoutSeconds` input of the actions: whole seconds from 30 to 3600, optional. */
export const timeoutSecondsInput = (z: Zod) =>
  z.number().int().min(30).max(3600).optional();

/** One documented use of an action, as a template step. */
export function templateExample(
  step: { id: string; action: string; name: string },
  description: string,
  input: Record<string, unknown>,
): TemplateExample {
  return {
    description,
    example: yaml.stringify({ steps: [{ ...step, input }] }),
  };
}
