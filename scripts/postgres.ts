/*
 * A private PostgreSQL for the test suites: Debian's postgresql package (installed with apt when
 * missing), a throw-away cluster on 127.0.0.1:$port with trust auth, run as the `postgres` user
 * when we are root (PostgreSQL refuses to run as root).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const log = (m: string) => process.stderr.write(`\x1b[1m==> ${m}\x1b[0m\n`);

function pgBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  const versions = fs
    .readdirSync(base)
    .filter(v => fs.existsSync(path.join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], 'bin') : undefined;
}

function sh(cmd: string, args: string[], asPostgres: boolean) {
  const isRoot = process.getuid?.() === 0;
  const [c, a] =
    asPostgres && isRoot
      ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]]
      : [cmd, args];
  return spawnSync(c, a, { encoding: 'utf8' });
}

export interface Postgres {
  connectionString: string;
  version: string;
  stop(): void;
}

export function startPostgres(port = 55432): Postgres {
  let bin = pgBin();
  if (!bin) {
    log('Installing PostgreSQL (apt-get install postgresql)');
    if (process.getuid?.() !== 0)
      throw new Error(
        'PostgreSQL is missing; install it (apt-get install postgresql) or run as root',
      );
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', 'postgresql'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) throw new Error('apt-get install postgresql failed');
    bin = pgBin();
    if (!bin)
      throw new Error(
        'PostgreSQL installed but pg_ctl not found under /usr/lib/postgresql',
      );
  }
  const version = path.basename(path.dirname(bin));
  const dir = path.join(os.tmpdir(), `dev-sessions-pg-${port}`);
  const data = path.join(dir, 'data');
  // a stale server from an earlier run on this port
  if (fs.existsSync(path.join(data, 'postmaster.pid')))
    sh(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], true);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0)
    spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  log(`Starting PostgreSQL ${version} on 127.0.0.1:${port}`);
  let r = sh(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
    true,
  );
  if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr}`);
  r = sh(
    path.join(bin, 'pg_ctl'),
    [
      '-D',
      data,
      '-l',
      path.join(dir, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      'start',
    ],
    true,
  );
  if (r.status !== 0)
    throw new Error(
      `PostgreSQL did not start: ${r.stderr}${
        fs.existsSync(path.join(dir, 'log'))
          ? fs.readFileSync(path.join(dir, 'log'), 'utf8')
          : ''
      }`,
    );
  return {
    connectionString: `postgresql://postgres@127.0.0.1:${port}`,
    version,
    stop: () => {
      sh(path.join(bin!, 'pg_ctl'), ['-D', data, '-m', 'fast', 'stop'], true);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
