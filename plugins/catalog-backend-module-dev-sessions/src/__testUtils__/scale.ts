import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  coreServices,
  createBackendModule,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import { DevSession } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import request from 'supertest';
import { DevSessionEntityProvider } from '../DevSessionEntityProvider';

/** A stand-in for the dev-sessions backend that serves GET /sessions (no Helm needed). */
export function fakeDevSessionsPlugin(sessions: DevSession[]) {
  return createBackendPlugin({
    pluginId: 'dev-sessions',
    register(env) {
      env.registerInit({
        deps: { httpRouter: coreServices.httpRouter },
        async init({ httpRouter }) {
          httpRouter.use((req, res, next) => {
            if (req.method === 'GET' && req.path === '/sessions') {
              res.json({ items: sessions });
            } else {
              next();
            }
          });
        },
      });
    },
  });
}

/** A catalog module that registers a provider the caller holds, for timing refreshes. */
export function providerModule(provider: DevSessionEntityProvider) {
  return createBackendModule({
    pluginId: 'catalog',
    moduleId: 'dev-sessions-bench',
    register(reg) {
      reg.registerInit({
        deps: { catalog: catalogProcessingExtensionPoint },
        async init({ catalog }) {
          catalog.addEntityProvider(provider);
        },
      });
    },
  });
}

export async function startCatalog(features: any[], config: object = {}) {
  return startTestBackend({
    features: [
      schedulerServiceFactory,
      eventsServiceFactory,
      catalogPlugin,
      ...features,
      mockServices.rootConfig.factory({
        data: {
          catalog: {
            rules: [{ allow: ['Component', 'Resource', 'Location'] }],
          },
          ...config,
        },
      }),
    ],
  });
}

/** Number of dev-session entities the catalog API returns. */
export async function countDevSessionEntities(server: any): Promise<number> {
  const r = await request(server).get(
    '/api/catalog/entities/by-query?filter=spec.type=dev-session&limit=1',
  );
  return r.body.totalItems ?? 0;
}

export async function waitForCount(
  server: any,
  n: number,
  timeoutMs: number,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await countDevSessionEntities(server)) === n)
      return Date.now() - start;
    if (Date.now() - start > timeoutMs)
      throw new Error(
        `catalog did not reach ${n} dev-session entities in ${timeoutMs} ms (has ${await countDevSessionEntities(
          server,
        )})`,
      );
    await new Promise(r => setTimeout(r, 50));
  }
}
