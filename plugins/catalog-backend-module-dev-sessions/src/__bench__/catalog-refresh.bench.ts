/*
 * Benchmark: how long a full refresh of N dev sessions takes until every entity is served by the
 * catalog API, against a baseline of 1 session in the same run. Prints figures; asserts nothing
 * about time. Run: ./dev yarn workspace @dev-sessions/backstage-plugin-catalog-backend-module-dev-sessions bench
 */
/* eslint-disable @backstage/no-undeclared-imports, no-restricted-imports, jest/expect-expect --
   test code that only Jest runs (yarn bench), not a module of the package */
import { mockServices } from '@backstage/backend-test-utils';
import { DevSession } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { DevSessionEntityProvider } from '../DevSessionEntityProvider';
import {
  providerModule,
  startCatalog,
  waitForCount,
} from '../__testUtils__/scale';
import { generateSessions } from '../__testUtils__/sessions';

jest.setTimeout(300_000);

const N = Number(process.env.BENCH_SESSIONS ?? 200);

const variants: Array<[string, object]> = [
  ['catalog defaults (stitching polls every 1 s)', {}],
  [
    'catalog.stitchingStrategy.pollingInterval 100 ms',
    {
      catalog: {
        rules: [{ allow: ['Resource'] }],
        stitchingStrategy: {
          mode: 'deferred',
          pollingInterval: { milliseconds: 100 },
        },
      },
    },
  ],
];

it.each(variants)(
  `full refresh of ${N} sessions, %s`,
  async (label, config) => {
    let current: DevSession[] = [];
    const provider = new DevSessionEntityProvider({
      logger: mockServices.logger.mock(),
      source: { list: async () => current },
    });
    const { server } = await startCatalog([providerModule(provider)], config);

    async function measure(sessions: DevSession[]) {
      current = sessions;
      const t0 = performance.now();
      await provider.refresh();
      const applied = performance.now() - t0;
      await waitForCount(server, sessions.length, 120_000);
      return { applied, visible: performance.now() - t0 };
    }

    const base = await measure(generateSessions(1, 'Baseline'));
    const full = await measure(generateSessions(N));
    const again = await measure(generateSessions(N)); // unchanged: no-op for the catalog
    const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
    const lines = [
      `catalog full refresh benchmark: ${N} sessions, SQLite, ${label}`,
      `  baseline, 1 session:       mutation ${fmt(
        base.applied,
      )}   all visible ${fmt(base.visible)}`,
      `  ${String(N).padEnd(3)} sessions:            mutation ${fmt(
        full.applied,
      )}   all visible ${fmt(full.visible)}   ratio ${(
        full.visible / base.visible
      ).toFixed(1)}x baseline`,
      `  ${String(N).padEnd(3)} sessions, unchanged: mutation ${fmt(
        again.applied,
      )}   all visible ${fmt(again.visible)}`,
      `  target: ${N} sessions visible in under 2000 ms -> ${
        full.visible < 2000 ? 'met' : 'NOT met'
      }`,
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
  },
);
