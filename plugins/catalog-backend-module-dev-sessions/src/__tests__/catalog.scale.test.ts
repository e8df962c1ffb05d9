/*
 * 200 sessions become 200 catalog entities through the real module (REST list, full mutation)
 * and the real catalog. Timing is reported by bench/catalog-refresh.bench.ts, not asserted here.
 */
import request from 'supertest';
import { catalogModuleDevSessions } from '../module';
import {
  fakeDevSessionsPlugin,
  startCatalog,
  waitForCount,
} from '../__testUtils__/scale';
import { generateSessions } from '../__testUtils__/sessions';

jest.setTimeout(120_000);

describe('catalog at scale', () => {
  it('turns 200 sessions into 200 entities, each with its owner', async () => {
    const sessions = generateSessions(200);
    const { server } = await startCatalog(
      [catalogModuleDevSessions, fakeDevSessionsPlugin(sessions)],
      {
        devSessions: {
          catalog: {
            schedule: {
              frequency: { minutes: 30 },
              timeout: { minutes: 1 },
              initialDelay: { seconds: 1 },
            },
          },
        },
      },
    );
    await waitForCount(server, 200, 90_000);
    const r = await request(server).get(
      '/api/catalog/entities/by-query?filter=spec.type=dev-session&limit=500&fields=metadata.name,spec.owner,metadata.annotations',
    );
    const names = new Set(r.body.items.map((e: any) => e.metadata.name));
    expect(names.size).toBe(200);
    for (const s of sessions) {
      expect(names.has(s.entityRef.split('/')[1])).toBe(true);
    }
    const owners = new Set(r.body.items.map((e: any) => e.spec.owner));
    expect(owners.size).toBe(7);
  });
});
