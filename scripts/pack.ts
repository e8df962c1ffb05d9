/*
 * Builds and packs the publishable packages (every @dev-sessions/backstage-plugin-* workspace)
 * into installable tarballs, then checks each one as npm would install it: its package.json has
 * no `workspace:` ranges and no `@internal` names, `main`/`types` (and every `exports` target)
 * point at files in the tarball, and the backend carries its migrations, config schema and the
 * session chart. Prints one line per tarball; exits non-zero naming what is wrong.
 *
 *   node scripts/pack.ts [--out <dir>]     (default: dist-packs/)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outIndex = process.argv.indexOf('--out');
const out = path.resolve(
  outIndex > 0 ? process.argv[outIndex + 1] : path.join(root, 'dist-packs'),
);
const yarnJs = path.join(
  root,
  '.yarn/releases',
  fs
    .readdirSync(path.join(root, '.yarn/releases'))
    .find(f => f.endsWith('.cjs'))!,
);
const log = (m: string) => process.stderr.write(`[pack] ${m}\n`);

function sh(cmd: string, argv: string[], what: string) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`ERROR: ${what} failed (exit ${r.status})`);
    process.exit(1);
  }
}
const yarn = (argv: string[], what: string) =>
  sh(process.execPath, [yarnJs, ...argv], what);

const INCLUDE = ['--include', '@dev-sessions/backstage-plugin-*'];
log('type declarations (tsc)');
yarn(['run', '-B', 'tsc'], 'tsc');
log('building the packages');
yarn(
  ['workspaces', 'foreach', '-A', ...INCLUDE, '-p', 'run', 'build'],
  'backstage-cli package build',
);
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
log(`packing into ${out}`);
yarn(
  [
    'workspaces',
    'foreach',
    '-A',
    ...INCLUDE,
    'pack',
    '--out',
    path.join(out, '%s-%v.tgz'),
  ],
  'yarn pack',
);

const problems: string[] = [];
const tarballs = fs.readdirSync(out).filter(f => f.endsWith('.tgz'));
if (tarballs.length !== 6)
  problems.push(`expected 6 tarballs, got ${tarballs.length}`);
for (const tgz of tarballs.sort()) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-sessions-pack-'));
  sh('tar', ['-xzf', path.join(out, tgz), '-C', dir], `unpacking ${tgz}`);
  const pkgDir = path.join(dir, 'package');
  const pkg = JSON.parse(
    fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'),
  );
  const bad = (m: string) => problems.push(`${tgz}: ${m}`);
  if (!pkg.name.startsWith('@dev-sessions/')) bad(`named ${pkg.name}`);
  if (pkg.private) bad('private');
  for (const field of [
    'dependencies',
    'peerDependencies',
    'optionalDependencies',
    'devDependencies',
  ]) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (String(range).startsWith('workspace:'))
        bad(`${field}.${name} is ${range}`);
      if (name.startsWith('@internal/')) bad(`${field} names ${name}`);
    }
  }
  const targets: string[] = [pkg.main, pkg.types].filter(Boolean);
  const walk = (v: unknown) => {
    if (typeof v === 'string') targets.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  for (const t of targets)
    if (!fs.existsSync(path.join(pkgDir, t))) bad(`${t} is not in the tarball`);
  if (pkg.name.endsWith('/backstage-plugin-dev-sessions-backend')) {
    for (const f of [
      'chart/Chart.yaml',
      'chart/values.yaml',
      'config.schema.json',
    ])
      if (!fs.existsSync(path.join(pkgDir, f))) bad(`${f} is missing`);
    if (!fs.readdirSync(path.join(pkgDir, 'migrations')).length)
      bad('no migrations');
  }
  const size = fs.statSync(path.join(out, tgz)).size;
  console.log(`${tgz}  ${(size / 1024).toFixed(0)} KiB  main ${pkg.main}`);
  fs.rmSync(dir, { recursive: true, force: true });
}
if (problems.length) {
  for (const p of problems) console.error(`ERROR: ${p}`);
  process.exit(1);
}
log(`${tarballs.length} tarballs in ${out}, all installable`);
