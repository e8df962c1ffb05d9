/*
 * Benchmark: resuming a stopped session against creating a fresh one, on the cluster in
 * KUBECONFIG with real Helm, in the same run. Each round creates a session
 * (`PUT …/session?wait=true`, timed), stops it (`POST …/stop?wait=true`), starts it again
 * (`POST …/start?wait=true`, timed: "resume"), resumes it once more through get-or-create
 * (`PUT …/session?wait=true` of the stopped session, timed) and deletes it. Prints the medians
 * and the ratios; asserts nothing about time (goal: resume ≤ 1.1× create).
 * Run: ./dev bench resume   (BENCH_ROUNDS, default 5)
 */
/* eslint-disable @backstage/no-undeclared-imports, no-restricted-imports, jest/expect-expect --
   test code that only Jest runs (yarn bench), not a module of the package */
import { startDevSessionsTestBackend } from '@dev-sessions/integration-tests';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { devSessionsPlugin } from '../plugin';

jest.setTimeout(1_800_000);

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

it(`resume against create, ${ROUNDS} rounds`, async () => {
  if (!process.env.KUBECONFIG)
    throw new Error(
      'KUBECONFIG is not set: run it with ./dev bench resume (starts the local cluster)',
    );
  const { server } = await startDevSessionsTestBackend({
    features: [devSessionsPlugin],
  });
  const api = () => request(server);
  const times = {
    create: [] as number[],
    start: [] as number[],
    put: [] as number[],
  };

  async function timed(
    what: string,
    call: () => request.Test,
    state: string,
  ): Promise<number> {
    const t0 = performance.now();
    const res = await call();
    const ms = performance.now() - t0;
    if (res.status >= 300 || res.body.state !== state)
      throw new Error(
        `${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
      );
    return ms;
  }

  for (let round = 1; round <= ROUNDS; round++) {
    const session = `/api/dev-sessions/projects/${randomUUID()}/session`;
    const put = () =>
      api()
        .put(`${session}?wait=true`)
        .send({ projectId: `bench ${round}`, size: 'small' });
    const stop = () =>
      timed('stop', () => api().post(`${session}/stop?wait=true`), 'stopped');
    try {
      times.create.push(await timed('create', put, 'ready'));
      await stop();
      times.start.push(
        await timed(
          'start',
          () => api().post(`${session}/start?wait=true`),
          'ready',
        ),
      );
      await stop();
      times.put.push(
        await timed('get-or-create of a stopped one', put, 'ready'),
      );
    } finally {
      await api().delete(`${session}?wait=true`);
    }
    process.stdout.write(
      `[bench] round ${round}/${ROUNDS}: create ${times.create
        .at(-1)
        ?.toFixed(0)} ms, ` +
        `start ${times.start.at(-1)?.toFixed(0)} ms, get-or-create ${times.put
          .at(-1)
          ?.toFixed(0)} ms\n`,
    );
  }

  const create = median(times.create);
  const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
  const row = (label: string, xs: number[]) =>
    `  ${label.padEnd(36)} median ${fmt(median(xs))}   min ${fmt(
      Math.min(...xs),
    )}   max ${fmt(Math.max(...xs))}   ratio ${(median(xs) / create).toFixed(
      2,
    )}x create`;
  const ratio = median(times.start) / create;
  process.stdout.write(
    `\n${[
      `resume benchmark: ${ROUNDS} rounds, size small, same backend and cluster`,
      row('create (PUT …/session?wait=true)', times.create),
      row('resume (POST …/start?wait=true)', times.start),
      row('resume through get-or-create (PUT)', times.put),
      `  goal: resume ≤ 1.1x create -> ${
        ratio <= 1.1 ? 'met' : 'NOT met'
      } (${ratio.toFixed(2)}x)`,
    ].join('\n')}\n\n`,
  );
});
