/*
 * End to end in a real browser: Debian's Chromium driven by playwright-core against the whole
 * app (`yarn start`) on the local cluster. Enters as guest, creates a session through the
 * "Dev session" template in the UI (a plain-language validation message, the UUID under
 * Advanced, "Open dev session" to the entity), waits for the card to show it ready with three
 * enabled, signed-in links and the guest as owner, and opens VS Code from the card: through the
 * plugin's open route and gateway to a stand-in server on this machine (the local cluster runs
 * no containers). Opens the stock Kubernetes tab and finds the pod; lists the session on the Dev
 * sessions page (search, state filter) and the home widget; stops, starts and deletes it from the
 * card. Then makes a container crash-loop, checks the card shows it, and reads the crash in the
 * container's logs dialog (kwok's simulated logs). Screenshots go to test-results/ (git-ignored);
 * docs/ keeps copies.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import {
  clusterEnv,
  pointServiceAt,
  repoRoot,
  StandIn,
  startStandIn,
} from '../index';

jest.setTimeout(900_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const results = path.join(repoRoot, 'test-results');
const TOKEN = `e2e-${randomUUID()}`;
const APP = 'http://localhost:3000';
const BACKEND = 'http://localhost:7007';

let app: ChildProcess | undefined;
let appLog = '';
let browser: Browser;
let page: Page;
let standIn: StandIn;

async function waitForHttp(
  url: string,
  ok: (status: number, body: string) => boolean,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app?.exitCode !== null && app?.exitCode !== undefined)
      throw new Error(
        `the app exited (${app.exitCode}):\n${appLog.slice(-3000)}`,
      );
    try {
      const r = await fetch(url);
      if (ok(r.status, await r.text())) return;
    } catch {
      /* not yet */
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`timed out waiting for ${url}:\n${appLog.slice(-3000)}`);
}

async function api(method: string, p: string, body?: object) {
  const r = await fetch(`${BACKEND}/api/dev-sessions${p}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
    },
    body: body && JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  const env = clusterEnv();
  standIn = await startStandIn('vscode stand-in');
  if (!fs.existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}; ./dev test installs Debian's chromium`,
    );
  fs.mkdirSync(results, { recursive: true });
  // a static token so the test can also drive the REST API, as automation would
  const extraConfig = path.join(results, 'e2e-app-config.yaml');
  // and, as a platform team would for its own tests, lets the failure simulation's pod annotation through
  fs.writeFileSync(
    extraConfig,
    [
      'backend:',
      '  auth:',
      '    externalAccess:',
      '      - type: static',
      '        options:',
      `          token: ${TOKEN}`,
      '          subject: e2e-test',
      'devSessions:',
      '  values:',
      '    userSettable: [containers.*.command, containers.*.args, containers.*.env, podAnnotations.*]',
      '',
    ].join('\n'),
  );
  const yarnJs = fs
    .readdirSync(path.join(repoRoot, '.yarn/releases'))
    .find(f => f.endsWith('.cjs'))!;
  app = spawn(
    process.execPath,
    [
      path.join(repoRoot, '.yarn/releases', yarnJs),
      'start',
      '--config',
      path.join(repoRoot, 'app-config.yaml'),
      '--config',
      extraConfig,
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        // the cluster and the helm app-config.yaml points the dev-sessions plugin at
        KUBECONFIG: env.kubeconfig,
        DEV_SESSIONS_HELM: env.helm,
        BROWSER: 'none',
        CI: 'true',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  app.stdout!.on('data', d => (appLog = (appLog + d).slice(-20000)));
  app.stderr!.on('data', d => (appLog = (appLog + d).slice(-20000)));
  await waitForHttp(
    `${BACKEND}/.backstage/health/v1/readiness`,
    (s, b) => s === 200 && b.includes('ok'),
    300_000,
  );
  await waitForHttp(APP, s => s === 200, 300_000);

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
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(APP);
  await page
    .getByRole('button', { name: /enter/i })
    .click({ timeout: 120_000 });
  await page.getByText('Catalog').first().waitFor({ timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close();
  await standIn?.close();
  if (app?.pid) {
    try {
      process.kill(-app.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
});

const cardState = () => page.getByTestId('session-state');
/** A line of the local cluster's simulated log of a crashed chat container (scripts/cluster). */
const CRASH_LOG_LINE = 'Error: ANTHROPIC_API_KEY is not set';

describe('dev session card in a real browser', () => {
  const uuid = randomUUID();

  it('creates a session through the "Dev session" template, shows it ready with three signed-in links and opens VS Code', async () => {
    await page.goto(`${APP}/create/templates/default/dev-session`);
    await page
      .getByLabel(/Project name/)
      .first()
      .fill('E2E Shop!', { timeout: 120_000 });
    await page.getByRole('button', { name: 'Next' }).click();
    // a plain-language message, not a regular expression
    await page
      .getByText(/Start with a letter or digit, then use only letters/)
      .first()
      .waitFor({ timeout: 30_000 });
    await page
      .getByLabel(/Project name/)
      .first()
      .fill('E2E Shop');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText(/Leave empty to own the session yourself/).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    // the UUID of an existing project lives under "Advanced (optional)"
    await page
      .getByLabel(/Project UUID/)
      .first()
      .fill(uuid);
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    // the task page: wait for the step to finish and the output links to appear
    await page
      .getByRole('link', { name: 'VS Code' })
      .waitFor({ timeout: 240_000 });
    await page
      .getByText(/The dev session of E2E Shop is ready/)
      .waitFor({ timeout: 30_000 });
    await page.screenshot({
      path: path.join(results, 'e2e-template-run.png'),
      fullPage: true,
    });
    // "Open dev session" goes to the session's entity page
    await page.getByRole('link', { name: 'Open dev session' }).click();
    await page.waitForURL(`**/catalog/default/resource/e2e-shop-${uuid}`);
    await cardState().getByText('ready').waitFor({ timeout: 120_000 });
    // owned by the signed-in user (the template's default), linked to a user entity that exists
    const owner = page.getByTestId('session-owner').getByRole('link');
    expect(await owner.textContent()).toBe('guest');
    expect(await owner.getAttribute('href')).toBe(
      '/catalog/default/user/guest',
    );
    for (const name of ['Preview', 'Chat', 'VS Code']) {
      const link = page
        .getByTestId('dev-session-links')
        .getByRole('link', { name, exact: true });
      await link.waitFor({ timeout: 30_000 });
      expect(await link.getAttribute('target')).toBe('_blank');
      // the signed-in open route, never an in-cluster address
      expect(await link.getAttribute('href')).toBe(
        `${BACKEND}/api/dev-sessions/projects/${uuid}/open/${
          name === 'VS Code' ? 'vscode' : name.toLowerCase()
        }/`,
      );
    }
    // the lifecycle line: created just now counts as use; expiry a year out (the default)
    expect(await page.getByTestId('lifecycle').textContent()).toMatch(
      /^Last used \d+ (s|min) ago · expires on \S.*\d{4}/,
    );
    await page.screenshot({
      path: path.join(results, 'e2e-card-ready.png'),
      fullPage: true,
    });

    // one click: open route (Backstage's cookie) → the gateway's VS Code origin → the server
    await pointServiceAt(uuid, 'dev-session-vscode', standIn);
    const [tab] = await Promise.all([
      page.context().waitForEvent('page'),
      page
        .getByTestId('dev-session-links')
        .getByRole('link', { name: 'VS Code', exact: true })
        .click(),
    ]);
    await tab.getByText('vscode stand-in: GET /').waitFor({ timeout: 60_000 });
    expect(new URL(tab.url()).host).toBe(`vscode--${uuid}.localhost:7008`);
    await tab.screenshot({ path: path.join(results, 'e2e-vscode-tab.png') });
    await tab.close();
    // the same address without the sign-in cookie: refused
    const stranger = await browser.newPage();
    const res = await stranger.goto(
      `${BACKEND}/api/dev-sessions/projects/${uuid}/open/vscode/`,
    );
    expect(res?.status()).toBe(401);
    await stranger.close();
  });

  it("the stock Kubernetes tab shows the session's pod on the local cluster", async () => {
    await page.goto(
      `${APP}/catalog/default/resource/e2e-shop-${uuid}/kubernetes`,
    );
    await page
      .getByText('dev-sessions-local')
      .first()
      .waitFor({ timeout: 120_000 });
    // open the cluster, then the deployment's pod list (its summary, not its name: that opens a drawer)
    await page.getByText('dev-sessions-local').first().click();
    await page
      .getByRole('button', { expanded: false })
      .filter({ hasText: 'Deployment' })
      .getByText('No pods with errors')
      .click();
    const pod = page.getByRole('row').filter({
      hasText: /dev-session-[a-z0-9]+-[a-z0-9]+/,
    });
    await pod.waitFor({ timeout: 60_000 });
    expect(await pod.textContent()).toMatch(/Running.*3\/3/);
    expect(await page.getByText('There was a problem retrieving').count()).toBe(
      0,
    );
    await page.screenshot({
      path: path.join(results, 'e2e-kubernetes-tab.png'),
      fullPage: true,
    });
  });

  it('the Dev sessions page lists my sessions, with search and a state filter; the home page has the widget', async () => {
    await page.goto(APP);
    await page
      .getByRole('link', { name: 'Dev sessions' })
      .first()
      .click({ timeout: 60_000 });
    await page.waitForURL('**/dev-sessions');
    await page
      .getByText('My dev sessions')
      .first()
      .waitFor({ timeout: 60_000 });
    const row = page.getByRole('row').filter({ hasText: 'E2E Shop' });
    await row.waitFor({ timeout: 60_000 });
    expect(await row.textContent()).toMatch(/ready/);
    expect(await row.textContent()).toMatch(/guest/);
    await page.getByLabel('Search dev sessions').fill('e2e shop');
    await row.waitFor();
    await page.screenshot({
      path: path.join(results, 'e2e-sessions-page.png'),
      fullPage: true,
    });
    await page.getByLabel('Search dev sessions').fill('no such project');
    await row.waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByLabel('Search dev sessions').fill('');
    await row.waitFor({ timeout: 30_000 });
    await page
      .getByLabel('Filter by state')
      .getByText('stopped', { exact: true })
      .click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });

    await page.goto(`${APP}/home`);
    const widget = page.getByTestId('dev-sessions-home-widget');
    await widget.getByText('E2E Shop').waitFor({ timeout: 60_000 });
    await page.screenshot({
      path: path.join(results, 'e2e-home-widget.png'),
      fullPage: true,
    });
  });

  it('stops, starts and deletes the session from the card', async () => {
    await page.goto(`${APP}/catalog/default/resource/e2e-shop-${uuid}`);
    await cardState().getByText('ready').waitFor({ timeout: 120_000 });
    const controls = page.getByTestId('run-control');
    const confirm = async (action: string) => {
      await controls.getByRole('button', { name: action }).click();
      const dialog = page.getByRole('dialog');
      // the confirmation names the project
      await dialog
        .getByText(`${action} the dev session of E2E Shop?`)
        .waitFor();
      await dialog.getByRole('button', { name: action }).click();
    };
    await confirm('Stop');
    await cardState().getByText('stopped').waitFor({ timeout: 120_000 });
    await page.screenshot({
      path: path.join(results, 'e2e-card-stopped.png'),
      fullPage: true,
    });
    await confirm('Start');
    await cardState().getByText('ready').waitFor({ timeout: 120_000 });
    await confirm('Delete');
    try {
      await page.getByTestId('session-gone').waitFor({ timeout: 180_000 });
    } catch (e) {
      // say where it stood: the card as it was, and the session as the API has it
      await page.screenshot({
        path: path.join(results, 'e2e-card-delete-timeout.png'),
        fullPage: true,
      });
      const now = await api('GET', `/projects/${uuid}/session`);
      throw new Error(
        `the card did not say the session is gone: ${
          (e as Error).message
        }; GET answers ${now.status} ${JSON.stringify(now.body)?.slice(
          0,
          600,
        )}`,
      );
    }
    expect((await api('GET', `/projects/${uuid}/session`)).status).toBe(404);
    await page.screenshot({
      path: path.join(results, 'e2e-card-deleted.png'),
      fullPage: true,
    });
  });

  it('shows a crash-looping container with its reason, restarts and a hint', async () => {
    const id = randomUUID();
    const created = await api(
      'PUT',
      `/projects/${id}/session?timeoutSeconds=45`,
      {
        projectId: 'E2E Crashy',
        owner: 'user:default/guest',
        values: {
          podAnnotations: {
            'sim.dev-sessions.io/fail': 'chat=CrashLoopBackOff',
          },
        },
      },
    );
    expect(created.status).toBe(201);
    await page.goto(`${APP}/catalog/default/resource/e2e-crashy-${id}`);
    const chat = page.getByTestId('container-chat');
    await chat.getByText('CrashLoopBackOff').waitFor({ timeout: 120_000 });
    expect(await chat.textContent()).toMatch(/keeps crashing/);
    expect(
      await page
        .getByTestId('dev-session-links')
        .getByRole('button', { name: 'Chat', exact: true })
        .isDisabled(),
    ).toBe(true);
    await page.screenshot({
      path: path.join(results, 'e2e-card-crashloop.png'),
      fullPage: true,
    });
    // its logs open on the container before the last restart, where the crash is
    await chat.getByRole('button', { name: 'Chat logs' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Chat logs · E2E Crashy').waitFor();
    expect(
      await dialog
        .getByRole('tab', { name: 'Before the last restart' })
        .getAttribute('aria-selected'),
    ).toBe('true');
    await dialog.getByText(CRASH_LOG_LINE).first().waitFor({ timeout: 60_000 });
    await page.screenshot({
      path: path.join(results, 'e2e-logs-crashloop.png'),
    });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await api('DELETE', `/projects/${id}/session?wait=true`);
  });
});
