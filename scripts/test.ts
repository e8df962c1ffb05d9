/*
 * The test command (`./dev test`): runs the static checks (Prettier, tsc and ESLint over the
 * whole repository, scripts/ included), brings up what the suites need (the local cluster, helm
 * and kubectl, PostgreSQL, Chromium), runs every test suite of the repository, takes the cluster
 * down again and ends with one plain line: "N passed, N failed".
 *
 * Options: --keep-cluster (leave the local cluster running), --static-only (only the static
 * checks: no cluster, no Jest), any other args go to Jest.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureHelmAndKubectl } from './cluster/tools.ts';
import { startPostgres, type Postgres } from './postgres.ts';

const root = path.resolve(import.meta.dirname, '..');
const results = path.join(root, 'test-results');
const args = process.argv.slice(2);
const keepCluster = args.includes('--keep-cluster');
const staticOnly = args.includes('--static-only');
const jestArgs = args.filter(
  a => a !== '--keep-cluster' && a !== '--static-only',
);

const step = (m: string) => process.stderr.write(`\x1b[1m==> ${m}\x1b[0m\n`);
let passed = 0;
let failed = 0;
const failures: string[] = [];

function run(
  cmd: string,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
) {
  return spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env });
}

const yarnJs = path.join(
  root,
  '.yarn/releases',
  fs
    .readdirSync(path.join(root, '.yarn/releases'))
    .find(f => f.endsWith('.cjs'))!,
);
const yarn = (argv: string[], env?: NodeJS.ProcessEnv) =>
  run(process.execPath, [yarnJs, ...argv], env);

/** One static check, counted as one suite: passed when the command exits 0. */
function check(name: string, argv: string[], fix: string) {
  step(name);
  const t0 = Date.now();
  const r = yarn(argv);
  const took = `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  if (r.status === 0) {
    passed++;
    process.stderr.write(`    ok (${took})\n`);
    return;
  }
  failed++;
  failures.push(`${name}: ${fix}`);
  console.error(`ERROR: ${name} failed (${took}). ${fix}`);
}

function finish(): never {
  console.log(`\n${passed} passed, ${failed} failed`);
  if (failures.length) console.error(`failed: ${failures.join('; ')}`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

fs.mkdirSync(results, { recursive: true });

// 0. static checks of the whole repository (no cluster needed). `run -B` runs the tool itself,
// not the root package.json script of the same name.
check(
  'Prettier: every file of the repository',
  ['run', '-B', 'prettier', '--check', '.'],
  'format with ./dev yarn prettier --write . (.prettierignore lists what is not formatted)',
);
check(
  'tsc: packages and plugins',
  ['run', '-B', 'tsc'],
  'fix the type errors above (./dev yarn tsc reproduces them)',
);
check(
  'tsc: scripts/ (run by Node 22 type stripping)',
  ['run', '-B', 'tsc', '-p', 'scripts'],
  'fix the type errors above (./dev yarn tsc reproduces them)',
);
check(
  'ESLint: packages and plugins',
  ['backstage-cli', 'repo', 'lint', '--max-warnings', '0'],
  'fix the findings above (./dev yarn lint:all reproduces them, ./dev yarn backstage-cli repo lint --fix fixes some)',
);
check(
  'ESLint: scripts/',
  ['backstage-cli', 'package', 'lint', '--max-warnings', '0', 'scripts'],
  'fix the findings above (./dev yarn lint:scripts reproduces them, ./dev yarn lint:scripts --fix fixes some)',
);
check(
  'API reports: the public API of each plugin matches its report.api.md',
  [
    'backstage-repo-tools',
    'api-reports',
    '--ci',
    '-o',
    'ae-undocumented,ae-wrong-input-file-type',
    '--validate-release-tags',
    'plugins/*',
  ],
  'an exported API changed: review it, then ./dev yarn build:api-reports and commit the reports',
);
// the publishable packages: built, packed and checked as npm would install them
step('Packages: build, pack and check the tarballs (scripts/pack.ts)');
{
  const t0 = Date.now();
  const r = run(process.execPath, [path.join(root, 'scripts/pack.ts')]);
  const took = `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  if (r.status === 0) {
    passed++;
    process.stderr.write(`    ok (${took})\n`);
    // the adoption test installs these tarballs instead of packing them again
    process.env.ADOPTION_PACKS = path.join(root, 'dist-packs');
  } else {
    failed++;
    failures.push('packages: see the ERROR lines of scripts/pack.ts above');
  }
}
if (staticOnly) finish();

// 1. helm and kubectl (real binaries from the npm package), exported for the suites
step('helm and kubectl');
const toolsDir = ensureHelmAndKubectl();
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${toolsDir}:${process.env.PATH}`,
  DEV_SESSIONS_HELM: path.join(toolsDir, 'helm'),
  DEV_SESSIONS_KUBECTL: path.join(toolsDir, 'kubectl'),
};

// 2. the local cluster: the integration suites fail (never skip) without it
let startedCluster = false;
if (process.env.DEV_SESSIONS_TEST_KUBECONFIG) {
  env.KUBECONFIG = process.env.DEV_SESSIONS_TEST_KUBECONFIG;
  step(`Using the cluster of DEV_SESSIONS_TEST_KUBECONFIG=${env.KUBECONFIG}`);
} else {
  step(
    'Starting the local cluster (the first run on a machine builds it: 15-30 min)',
  );
  const up = spawnSync(
    process.execPath,
    [path.join(root, 'scripts/cluster/cluster.ts'), 'up'],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    },
  );
  if (up.status !== 0) {
    console.error(
      'ERROR: the local cluster did not start; the integration suites cannot run (see above).',
    );
    failed++;
    failures.push('local cluster did not start');
    finish();
  }
  startedCluster = true;
  const line = up.stdout.trim().split('\n').pop()!;
  env.KUBECONFIG = line.replace(/^KUBECONFIG=/, '');
}

// 3. Chromium for the end-to-end browser suite (Debian's package; playwright-core drives it)
if (!process.env.CHROMIUM_PATH && !fs.existsSync('/usr/bin/chromium')) {
  step('Installing Chromium (apt-get install chromium) for the browser tests');
  if (process.getuid?.() === 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  if (!fs.existsSync('/usr/bin/chromium')) {
    console.error(
      'ERROR: Chromium is missing (apt-get install chromium, or set CHROMIUM_PATH); the browser suite will fail.',
    );
  }
}

// 4. PostgreSQL for the store suites (SQLite needs nothing)
let postgres: Postgres | undefined;
try {
  postgres = startPostgres();
  env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING =
    postgres.connectionString;
} catch (e) {
  console.error(
    `ERROR: ${(e as Error).message}; the PostgreSQL store suites will fail.`,
  );
}

try {
  // 5. helm lint --strict of the charts: the session chart and the backend's deploy chart
  for (const chart of ['charts/dev-session', 'charts/dev-sessions-backend']) {
    step(`helm lint --strict ${chart}`);
    const lint = run(
      env.DEV_SESSIONS_HELM!,
      ['lint', '--strict', chart, '-f', `${chart}/ci/lint-values.yaml`],
      env,
    );
    if (lint.status === 0) passed++;
    else {
      failed++;
      failures.push(`helm lint ${chart}`);
    }
  }

  // 6. every Jest suite of every package
  step('Jest: all packages');
  const jestOut = path.join(results, 'jest.json');
  fs.rmSync(jestOut, { force: true });
  yarn(
    [
      'backstage-cli',
      'repo',
      'test',
      '--ci',
      '--json',
      `--outputFile=${jestOut}`,
      ...jestArgs,
    ],
    { ...env, CI: 'true' },
  );
  if (!fs.existsSync(jestOut)) {
    failed++;
    failures.push('jest produced no result file');
  } else {
    const r = JSON.parse(fs.readFileSync(jestOut, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
    if (r.numPendingTests || r.numTodoTests) {
      failed += r.numPendingTests + r.numTodoTests;
      failures.push(
        `${
          r.numPendingTests + r.numTodoTests
        } skipped/todo tests (skips are not allowed)`,
      );
    }
    for (const s of r.testResults ?? []) {
      if (s.status === 'failed') failures.push(path.relative(root, s.name));
    }
  }

  // 7. the adoption test (the README install guide in a new app), alone after the others: its
  // package installs would starve the cluster suites of CPU. Only in a full run.
  if (jestArgs.length === 0) {
    step('Jest: the adoption test (packages/integration-tests/src/adoption)');
    const adoptOut = path.join(results, 'jest-adoption.json');
    fs.rmSync(adoptOut, { force: true });
    yarn(
      [
        'workspace',
        '@dev-sessions/integration-tests',
        'backstage-cli',
        'package',
        'test',
        '--ci',
        '--runInBand',
        '--json',
        `--outputFile=${adoptOut}`,
        '--testMatch',
        '**/src/adoption/*.adopt.ts',
      ],
      { ...env, CI: 'true' },
    );
    const a = fs.existsSync(adoptOut)
      ? JSON.parse(fs.readFileSync(adoptOut, 'utf8'))
      : undefined;
    if (!a || a.numTotalTests === 0) {
      failed++;
      failures.push('the adoption test did not run');
    } else {
      passed += a.numPassedTests;
      failed +=
        a.numFailedTests +
        (a.numRuntimeErrorTestSuites ?? 0) +
        a.numPendingTests +
        a.numTodoTests;
      if (a.numFailedTests || a.numRuntimeErrorTestSuites)
        failures.push('packages/integration-tests/src/adoption');
    }
  }
} finally {
  postgres?.stop();
  if (startedCluster && !keepCluster) {
    step('Stopping the local cluster');
    spawnSync(
      process.execPath,
      [path.join(root, 'scripts/cluster/cluster.ts'), 'down'],
      { cwd: root, stdio: 'inherit' },
    );
  }
}
finish();
