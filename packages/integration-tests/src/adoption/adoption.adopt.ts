/* eslint-disable @backstage/no-undeclared-imports, no-restricted-imports, jest/expect-expect --
   run by Jest on its own after the other suites (scripts/test.ts), not a module of the package */
/*
 * Adoption: follows the README's "Install into your own Backstage" guide literally in a fresh
 * app made by @backstage/create-app 0.9.2 (Backstage 1.55). The guide's snippets are read from
 * README.md (`<!-- guide:<step> -->` blocks, see ./guide.ts) and applied as written, with the
 * packages installed from the tarballs `scripts/pack.ts` makes. Then the app runs on the local
 * cluster: a guest creates a session through the REST API, the catalog shows its entity, the
 * entity page in Chromium shows the card ready (screenshot test-results/adoption-card.png), and
 * the session is deleted. `./dev test` runs it after all other suites, alone (its installs would
 * starve the cluster tests of CPU), by a testMatch of the .adopt.ts files of this folder.
 *
 * Beyond the guide, the test only adds plumbing of this machine and of unpublished packages (each
 * marked "plumbing" below): registry-mirror resolutions, the tarballs in place of the registry,
 * this repository's yarn.lock as create-app's lockfile seed, free ports and this test cluster's
 * helm. ADOPTION_PACKS=<dir> reuses packed tarballs; ADOPTION_KEEP=1 keeps the temporary app.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { stringify as stringifyYaml } from 'yaml';
import { clusterEnv, repoRoot } from '../index';
import {
  applyAppFeatures,
  inlineYarnAdds,
  insertBeforeStart,
  appendYamlConfig,
  readGuide,
  replaceAllowAllPolicy,
  YarnAdd,
  yarnAdds,
} from './guide';

jest.setTimeout(30 * 60_000);

const CREATE_APP = '@backstage/create-app@0.9.2';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BACKEND_PORT = 17007;
const APP_PORT = 13000;
const BACKEND = `http://localhost:${BACKEND_PORT}`;
const APP = `http://localhost:${APP_PORT}`;
const results = path.join(repoRoot, 'test-results');

const started = Date.now();
let stepStarted = started;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
function step(name: string) {
  const now = Date.now();
  process.stderr.write(
    `[adoption] +${secs(now - started)} (previous step ${secs(
      now - stepStarted,
    )}) ${name}\n`,
  );
  stepStarted = now;
}

let tmp: string;
let appDir: string;
let app: ChildProcess | undefined;
let appLog = '';
let browser: Browser | undefined;
let sessionUrl: string | undefined;
let token: string | undefined;

/** Runs a command (no shell); rejects with the tail of its output when it fails. */
function sh(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (out += d));
    const timer = setTimeout(
      () => child.kill('SIGKILL'),
      opts.timeoutMs ?? 600_000,
    );
    child.on('error', reject);
    child.on('close', code => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `${cmd} ${args.join(' ')} (in ${
              opts.cwd
            }) failed (${code}):\n${out.slice(-4000)}`,
          ),
        );
    });
  });
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (app && app.exitCode !== null)
      throw new Error(
        `the app exited (${app.exitCode}):\n${appLog.slice(-4000)}`,
      );
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(
    `timed out waiting for ${what} (${String(last)}):\n${appLog.slice(-4000)}`,
  );
}

function readJson(file: string) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
function writeJson(file: string, data: unknown) {
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

afterAll(async () => {
  if (sessionUrl && token) {
    await fetch(`${sessionUrl}?wait=true`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => undefined);
  }
  await browser?.close();
  if (app?.pid && app.exitCode === null) {
    const exited = new Promise(r => app!.once('exit', r));
    try {
      process.kill(-app.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    await Promise.race([exited, new Promise(r => setTimeout(r, 15_000))]);
    try {
      process.kill(-app.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (tmp && !process.env.ADOPTION_KEEP)
    fs.rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`[adoption] total ${secs(Date.now() - started)}\n`);
});

describe('adoption: the README install guide in a fresh Backstage app', () => {
  it('installs the packages as the guide says, runs a session and shows its card', async () => {
    const env = clusterEnv();
    // every guide block first: a README without one fails before any slow step
    const guide = readGuide();
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`Chromium not found at ${CHROMIUM}`);

    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-sessions-adoption-'));
    appDir = path.join(tmp, 'app');
    // ADOPTION_PACKS: tarballs packed already (to rerun quickly); else packed here
    const packs = process.env.ADOPTION_PACKS ?? path.join(tmp, 'packs');
    const nodeBin = path.dirname(process.execPath);
    const yarnJs = path.join(
      repoRoot,
      '.yarn/releases',
      fs
        .readdirSync(path.join(repoRoot, '.yarn/releases'))
        .find(f => f.endsWith('.cjs'))!,
    );
    // plumbing: `yarn` on PATH (create-app looks for it), Node 22 first on PATH, native addons
    // built against Node 22's headers, installs allowed to write the lockfile
    const binDir = path.join(tmp, 'bin');
    fs.mkdirSync(binDir);
    fs.writeFileSync(
      path.join(binDir, 'yarn'),
      `#!/bin/sh\nexec "${process.execPath}" "${yarnJs}" "$@"\n`,
      { mode: 0o755 },
    );
    const toolEnv: NodeJS.ProcessEnv = {
      PATH: `${nodeBin}:${binDir}:${process.env.PATH}`,
      npm_config_nodedir: path.dirname(nodeBin),
      YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
      CI: 'true',
    };

    if (!process.env.ADOPTION_PACKS) {
      step('packing the packages (scripts/pack.ts)');
      await sh(process.execPath, ['scripts/pack.ts', '--out', packs], {
        cwd: repoRoot,
        env: toolEnv,
      });
    }
    const tarballs = new Map<string, string>();
    for (const f of fs.readdirSync(packs)) {
      const m = /^@dev-sessions-(.+)-\d+\.\d+\.\d+[^-]*\.tgz$/.exec(f);
      if (m) tarballs.set(`@dev-sessions/${m[1]}`, path.join(packs, f));
    }
    expect(tarballs.size).toBe(6);

    step(`creating the app (${CREATE_APP})`);
    await sh(
      // npx of the machine's npm (the Node 22 package has only `node`), run by Node 22
      'npx',
      ['-y', CREATE_APP, '--skip-install', '--path', appDir],
      { cwd: tmp, env: { ...toolEnv, BACKSTAGE_APP_NAME: 'adopt' } },
    );
    const yarnInApp = (args: string[]) =>
      sh(process.execPath, [yarnJs, ...args], {
        cwd: appDir,
        env: toolEnv,
        timeoutMs: 900_000,
      });

    // plumbing: the registry mirror here lacks some platform packages (the same root
    // `resolutions` this repository needs), and the @dev-sessions packages are not on the
    // registry: every @dev-sessions name, also as a dependency of another, resolves to its tarball
    const rootPkgFile = path.join(appDir, 'package.json');
    const rootPkg = readJson(rootPkgFile);
    rootPkg.resolutions = {
      ...readJson(path.join(repoRoot, 'package.json')).resolutions,
      ...rootPkg.resolutions,
      ...Object.fromEntries(
        [...tarballs].map(([name, tgz]) => [name, `file:${tgz}`]),
      ),
    };
    writeJson(rootPkgFile, rootPkg);
    // plumbing: create-app seeds yarn.lock from the Backstage repository (seed-yarn.lock), which
    // this machine cannot fetch ("You may end up with incompatible dependencies"); without it
    // the app resolves plugins newer than its release (plugin-signals-backend 0.3.21 needs
    // httpRouter.addWebSocketHandler, which backend-defaults 0.18 lacks) and its backend does not
    // start. This repository's lockfile, from the same create-app release, is the seed instead.
    fs.copyFileSync(
      path.join(repoRoot, 'yarn.lock'),
      path.join(appDir, 'yarn.lock'),
    );

    const runAdd = async (add: YarnAdd) => {
      // plumbing: each @dev-sessions package from its tarball instead of the registry
      const pkgs = add.packages.map(p => {
        if (!p.startsWith('@dev-sessions/')) return p;
        const tgz = tarballs.get(p);
        if (!tgz) throw new Error(`the guide adds ${p}, which is not packed`);
        return `${p}@file:${tgz}`;
      });
      step(`yarn --cwd ${add.cwd} add ${add.packages.join(' ')}`);
      await yarnInApp(['--cwd', add.cwd, 'add', ...pkgs]);
    };

    // 1. packages
    for (const add of yarnAdds(guide['add-packages'].code)) await runAdd(add);

    step('applying the code and config steps');
    // 2. backend
    const indexFile = path.join(appDir, 'packages/backend/src/index.ts');
    fs.writeFileSync(
      indexFile,
      insertBeforeStart(
        fs.readFileSync(indexFile, 'utf8'),
        guide['backend-index'].code,
      ),
    );
    // 3. frontend
    const appFile = path.join(appDir, 'packages/app/src/App.tsx');
    fs.writeFileSync(
      appFile,
      applyAppFeatures(
        fs.readFileSync(appFile, 'utf8'),
        guide['app-features'].code,
      ),
    );
    // 4. configuration, into app-config.yaml as the guide says
    const configFile = path.join(appDir, 'app-config.yaml');
    fs.writeFileSync(
      configFile,
      appendYamlConfig(fs.readFileSync(configFile, 'utf8'), guide.config.code),
    );
    // plumbing: this machine's settings in app-config.local.yaml (read after app-config.yaml):
    // free ports, this test cluster's helm; the cluster is KUBECONFIG (passed to the app below)
    fs.writeFileSync(
      path.join(appDir, 'app-config.local.yaml'),
      stringifyYaml({
        app: { baseUrl: APP, listen: { port: APP_PORT } },
        backend: {
          baseUrl: BACKEND,
          listen: { port: BACKEND_PORT },
          cors: { origin: APP },
        },
        devSessions: {
          helm: { binary: env.helm },
          gateway: { listen: { port: 0 } },
        },
      }),
    );
    // 5. permission policy
    fs.writeFileSync(
      path.join(appDir, 'packages/backend/src/devSessionsPolicy.ts'),
      guide['policy-module'].code,
    );
    fs.writeFileSync(
      indexFile,
      replaceAllowAllPolicy(
        fs.readFileSync(indexFile, 'utf8'),
        guide['policy-index'].code,
      ),
    );
    // "… add @backstage/plugin-permission-common @backstage/plugin-permission-node if the app
    // does not depend on them yet"
    for (const add of inlineYarnAdds(guide['policy-index'].after)) {
      const pkg = readJson(path.join(appDir, add.cwd, 'package.json'));
      const missing = add.packages.filter(
        p => !pkg.dependencies?.[p] && !pkg.devDependencies?.[p],
      );
      if (missing.length) await runAdd({ ...add, packages: missing });
    }

    step('yarn install');
    await yarnInApp(['install']);
    // every snippet must also type-check where the guide puts it
    step('yarn tsc (the app with the guide applied)');
    await yarnInApp(['tsc']);

    step('starting the app (yarn start)');
    app = spawn(process.execPath, [yarnJs, 'start'], {
      cwd: appDir,
      env: {
        ...process.env,
        ...toolEnv,
        NODE_ENV: 'development',
        KUBECONFIG: env.kubeconfig,
        BROWSER: 'none',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stdout!.on('data', d => (appLog = (appLog + d).slice(-30000)));
    app.stderr!.on('data', d => (appLog = (appLog + d).slice(-30000)));
    await waitFor(
      'the backend',
      async () => {
        const r = await fetch(`${BACKEND}/.backstage/health/v1/readiness`);
        return r.ok ? true : undefined;
      },
      600_000,
    );
    step('backend ready; waiting for the frontend');
    await waitFor(
      'the frontend',
      async () => ((await fetch(APP)).ok ? true : undefined),
      600_000,
    );

    step('signing in as guest (REST)');
    const identity = await waitFor(
      'a guest token',
      async () => {
        const r = await fetch(
          `${BACKEND}/api/auth/guest/refresh?env=development`,
          { headers: { 'x-requested-with': 'XMLHttpRequest' } },
        );
        return r.ok ? await r.json() : undefined;
      },
      60_000,
    );
    token = identity.backstageIdentity.token as string;
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    };

    step('creating a session (PUT …/session?wait=true)');
    const uuid = randomUUID();
    const name = `adopt-${uuid}`;
    sessionUrl = `${BACKEND}/api/dev-sessions/projects/${uuid}/session`;
    const created = await fetch(`${sessionUrl}?wait=true`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ projectId: 'adopt', size: 'small' }),
    });
    const session = await created.json();
    expect({ status: created.status, state: session.state }).toEqual({
      status: 201,
      state: 'ready',
    });

    step('waiting for the catalog entity');
    const entity = await waitFor(
      `resource:default/${name} in the catalog`,
      async () => {
        const r = await fetch(
          `${BACKEND}/api/catalog/entities/by-name/resource/default/${name}`,
          { headers },
        );
        return r.ok ? await r.json() : undefined;
      },
      120_000,
    );
    expect(entity.metadata.annotations['dev-sessions.io/project-uuid']).toBe(
      uuid,
    );

    step('entity page in Chromium');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1000 },
    });
    await page.goto(APP);
    await page
      .getByRole('button', { name: /enter/i })
      .click({ timeout: 120_000 });
    await page.getByText('Catalog').first().waitFor({ timeout: 60_000 });
    await page.goto(`${APP}/catalog/default/resource/${name}`);
    await page
      .getByTestId('session-state')
      .getByText('ready')
      .waitFor({ timeout: 120_000 });
    fs.mkdirSync(results, { recursive: true });
    await page.screenshot({
      path: path.join(results, 'adoption-card.png'),
      fullPage: true,
    });

    step('deleting the session (DELETE …/session?wait=true)');
    const deleted = await fetch(`${sessionUrl}?wait=true`, {
      method: 'DELETE',
      headers,
    });
    expect(deleted.status).toBe(204);
    sessionUrl = undefined;
    step('done');
  });
});
