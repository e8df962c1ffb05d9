import {
  DEV_SESSION_ROLES,
  DevSessionRole,
  isProjectUuid,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The gateway's origins: one per role of each session, from a pattern such as
 * `https://{role}--{projectUuid}.sessions.example.com`. Separate origins keep one session's
 * (untrusted) preview from scripting its VS Code, and one session from another's.
 */
export class GatewayOrigins {
  private readonly hostPattern: RegExp;
  private readonly order: Array<'role' | 'projectUuid'>;

  readonly pattern: string;

  constructor(pattern: string) {
    this.pattern = pattern.replace(/\/+$/, '');
    // checked by checkOriginPattern: http(s)://<host with {role} and {projectUuid}>[:port]
    const host = /^https?:\/\/([^/:]+)/.exec(pattern)![1];
    this.order =
      host.indexOf('{role}') < host.indexOf('{projectUuid}')
        ? ['role', 'projectUuid']
        : ['projectUuid', 'role'];
    const source = escape(host.toLowerCase())
      .replace(escape('{role}'), `(${DEV_SESSION_ROLES.join('|')})`)
      .replace(escape('{projectuuid}'), '([0-9a-f-]{36})');
    this.hostPattern = new RegExp(`^${source}$`);
  }

  /** `https:` or `http:`: whether the gateway's cookies must be Secure. */
  get secure(): boolean {
    return this.pattern.startsWith('https:');
  }

  origin(projectUuid: string, role: DevSessionRole): string {
    return this.pattern
      .replace('{role}', role)
      .replace('{projectUuid}', projectUuid);
  }

  /** Which role of which session a Host header names (the port is the listener's business). */
  parseHost(
    host: string | undefined,
  ): { projectUuid: string; role: DevSessionRole } | undefined {
    const hostname = (host ?? '').toLowerCase().replace(/:\d+$/, '');
    const m = this.hostPattern.exec(hostname);
    if (!m) return undefined;
    const at = (k: 'role' | 'projectUuid') => m[this.order.indexOf(k) + 1];
    const projectUuid = at('projectUuid');
    if (!isProjectUuid(projectUuid)) return undefined;
    return { projectUuid, role: at('role') as DevSessionRole };
  }
}
