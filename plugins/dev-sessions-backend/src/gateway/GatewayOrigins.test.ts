import { GatewayOrigins } from './GatewayOrigins';

const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const HTTPS = 'https://{role}--{projectUuid}.sessions.example.com';
const LOCAL = 'http://{role}--{projectUuid}.localhost:7008';

describe('GatewayOrigins', () => {
  describe('origin', () => {
    it('puts the role and the project UUID into the pattern, keeping the scheme and port', () => {
      expect(new GatewayOrigins(HTTPS).origin(UUID, 'vscode')).toBe(
        `https://vscode--${UUID}.sessions.example.com`,
      );
      expect(new GatewayOrigins(LOCAL).origin(UUID, 'preview')).toBe(
        `http://preview--${UUID}.localhost:7008`,
      );
      expect(
        new GatewayOrigins('https://{projectUuid}-{role}.dev.test').origin(
          UUID,
          'chat',
        ),
      ).toBe(`https://${UUID}-chat.dev.test`);
      // a trailing slash is not part of an origin (paths are appended to it)
      expect(new GatewayOrigins(`${HTTPS}/`).origin(UUID, 'chat')).toBe(
        `https://chat--${UUID}.sessions.example.com`,
      );
    });

    it('gives each role of each session an origin of its own', () => {
      const o = new GatewayOrigins(HTTPS);
      const other = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
      const all = new Set(
        [UUID, other].flatMap(u =>
          (['preview', 'chat', 'vscode'] as const).map(r => o.origin(u, r)),
        ),
      );
      expect(all.size).toBe(6);
    });
  });

  describe('parseHost', () => {
    const o = new GatewayOrigins(HTTPS);

    it.each(['preview', 'chat', 'vscode'] as const)(
      'reads the role %s and the project UUID',
      role => {
        expect(o.parseHost(`${role}--${UUID}.sessions.example.com`)).toEqual({
          projectUuid: UUID,
          role,
        });
      },
    );

    it('reads what origin() wrote, for every role', () => {
      for (const role of ['preview', 'chat', 'vscode'] as const) {
        const host = new URL(o.origin(UUID, role)).host;
        expect(o.parseHost(host)).toEqual({ projectUuid: UUID, role });
      }
    });

    it('ignores the port of the Host header (any port, or none)', () => {
      const local = new GatewayOrigins(LOCAL);
      const want = { projectUuid: UUID, role: 'vscode' };
      expect(local.parseHost(`vscode--${UUID}.localhost:7008`)).toEqual(want);
      expect(local.parseHost(`vscode--${UUID}.localhost:80`)).toEqual(want);
      expect(local.parseHost(`vscode--${UUID}.localhost`)).toEqual(want);
      expect(o.parseHost(`vscode--${UUID}.sessions.example.com:443`)).toEqual(
        want,
      );
    });

    it('is case-insensitive and answers the project UUID in lower case', () => {
      expect(
        o.parseHost(`VSCode--${UUID.toUpperCase()}.Sessions.EXAMPLE.com`),
      ).toEqual({ projectUuid: UUID, role: 'vscode' });
      // a pattern written in upper case matches as well
      const upper = new GatewayOrigins(
        'https://{role}--{projectUuid}.Sessions.Example.COM',
      );
      expect(upper.parseHost(`chat--${UUID}.sessions.example.com`)).toEqual({
        projectUuid: UUID,
        role: 'chat',
      });
    });

    it('reads the other order ({projectUuid} before {role})', () => {
      const swapped = new GatewayOrigins(
        'https://{projectUuid}-{role}.dev.test',
      );
      expect(swapped.parseHost(`${UUID}-chat.dev.test`)).toEqual({
        projectUuid: UUID,
        role: 'chat',
      });
      expect(swapped.parseHost(`chat-${UUID}.dev.test`)).toBeUndefined();
      // and the pattern's order only
      expect(
        o.parseHost(`${UUID}--vscode.sessions.example.com`),
      ).toBeUndefined();
    });

    it('reads role and UUID in separate labels', () => {
      const nested = new GatewayOrigins(
        'https://{role}.{projectUuid}.sessions.example.com',
      );
      expect(nested.parseHost(`preview.${UUID}.sessions.example.com`)).toEqual({
        projectUuid: UUID,
        role: 'preview',
      });
    });

    it.each([
      ['an unknown role', `admin--${UUID}.sessions.example.com`],
      ['a role with a suffix', `vscodex--${UUID}.sessions.example.com`],
      ['an empty role', `--${UUID}.sessions.example.com`],
      ['no separator', `vscode${UUID}.sessions.example.com`],
      ['a short UUID', `vscode--${UUID.slice(1)}.sessions.example.com`],
      ['a long UUID', `vscode--${UUID}0.sessions.example.com`],
      [
        'a UUID with misplaced hyphens',
        'vscode--2f1c8f4e6-b7a-4d3e-9a51-0c2d7e8f9a10.sessions.example.com',
      ],
      ['only hyphens', `vscode--${'-'.repeat(36)}.sessions.example.com`],
      [
        'a UUID with non-hex characters',
        `vscode--${UUID.replace('f', 'g')}.sessions.example.com`,
      ],
      ['another domain', `vscode--${UUID}.example.com`],
      ['a longer domain', `vscode--${UUID}.sessions.example.com.evil.com`],
      ['a subdomain in front', `x.vscode--${UUID}.sessions.example.com`],
      ['a prefix in the label', `xvscode--${UUID}.sessions.example.com`],
      ['a trailing dot', `vscode--${UUID}.sessions.example.com.`],
      [
        'a dot that is no dot (regex wildcard)',
        `vscode--${UUID}.sessionsXexample.com`,
      ],
      ['the bare domain', 'sessions.example.com'],
      ['userinfo in the host', `evil.com@vscode--${UUID}.sessions.example.com`],
      ['an empty Host header', ''],
    ])('refuses %s', (_what, host) => {
      expect(o.parseHost(host)).toBeUndefined();
    });

    it('refuses no Host header at all', () => {
      expect(o.parseHost(undefined)).toBeUndefined();
    });

    it('does not match a look-alike under another domain (localhost pattern)', () => {
      const local = new GatewayOrigins(LOCAL);
      expect(
        local.parseHost(`vscode--${UUID}.localhost.evil.com`),
      ).toBeUndefined();
      expect(
        local.parseHost(`vscode--${UUID}.localhost.evil.com:7008`),
      ).toBeUndefined();
      expect(local.parseHost(`vscode--${UUID}.localhostx`)).toBeUndefined();
      expect(local.parseHost(`vscode--${UUID}.evil.localhost`)).toBeUndefined();
    });
  });

  describe('secure', () => {
    it('is true for https patterns only', () => {
      expect(new GatewayOrigins(HTTPS).secure).toBe(true);
      expect(new GatewayOrigins(LOCAL).secure).toBe(false);
    });
  });
});
