/*
 * The short soak: 50 dev-session creates and deletes (10 one at a time, 40 sixteen at once) with
 * scripts/soak.ts on the test cluster. The long one is `./dev soak` (README, "Soak").
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusterEnv, repoRoot, run } from '../index';

jest.setTimeout(280_000);

describe('soak (short)', () => {
  it('creates and deletes 50 sessions: 0 failed, 0 pods not ready, node never NotReady', async () => {
    const env = clusterEnv();
    const out = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'soak-')),
      'soak.json',
    );
    const r = await run(
      process.execPath,
      [
        path.join(repoRoot, 'scripts', 'soak.ts'),
        ...[
          '--creates',
          '50',
          '--minutes',
          '0',
          '--sequential',
          '10',
          '--concurrency',
          '16',
        ],
        ...[
          '--baseline',
          '0',
          '--canaries',
          '1',
          '--timeout',
          '90',
          '--own-pods',
        ],
        ...['--json', out],
      ],
      {
        env: {
          KUBECONFIG: env.kubeconfig,
          DEV_SESSIONS_HELM: env.helm,
          DEV_SESSIONS_KUBECTL: env.kubectl,
        },
        timeoutMs: 270_000,
      },
    );
    // the script's own report, shown when an expectation fails
    const report = `${r.stdout}\n${r.stderr.split('\n').slice(-20).join('\n')}`;
    expect(fs.existsSync(out) ? '' : report).toBe('');
    const s = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect({ ...s, report }).toMatchObject({
      creates: 50,
      failures: 0,
      deleteFailures: 0,
      podsNotReady: 0,
      nodeNotReady: 0,
      nodeNotReadyEvents: 0,
      namespacesLeft: 0,
    });
    expect(r.code).toBe(0);
  });
});
