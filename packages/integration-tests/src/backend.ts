/*
 * The dev-sessions backend as the tests start it: startTestBackend with the devSessions
 * configuration a deployment would give (the plugin discovers nothing on the machine), so each
 * test names only what it changes.
 */
import {
  mockServices,
  startTestBackend,
  type TestBackend,
  type TestBackendOptions,
} from '@backstage/backend-test-utils';
import { chartDir, testHelmBinary } from './paths';

/** Configuration data as mockServices.rootConfig takes it. @public */
export type TestConfigData = NonNullable<
  NonNullable<Parameters<typeof mockServices.rootConfig.factory>[0]>['data']
>;

/** A feature startTestBackend takes (plugin, module or service factory). @public */
export type TestBackendFeature = NonNullable<
  TestBackendOptions<[]>['features']
>[number];

function isObject(v: unknown): v is TestConfigData {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** b merged over a: objects key by key, anything else (arrays too) replaced. */
function merge(a: TestConfigData, b: TestConfigData): TestConfigData {
  const out: TestConfigData = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (value === undefined) continue;
    const base = out[key];
    out[key] = isObject(base) && isObject(value) ? merge(base, value) : value;
  }
  return out;
}

/**
 * The `devSessions` block of the test backends, with `overrides` merged over it (objects key
 * by key, anything else replaced):
 * - `chart.path`: this repository's charts/dev-session (absolute),
 * - `helm.binary`: DEV_SESSIONS_HELM, else `helm` on PATH; `helm.timeoutSeconds`: 90,
 * - `reconcile.intervalSeconds`: 3600 (no periodic reconcile during a test),
 * - `gateway.listen.port`: 0 (a free port, so test backends can run side by side).
 *
 * The cluster is not set here: the plugin takes KUBECONFIG (which `./dev test` sets) unless a
 * test overrides `cluster`.
 * @public
 */
export function devSessionsTestConfig(
  overrides: TestConfigData = {},
): TestConfigData {
  return merge(
    {
      chart: { path: chartDir },
      helm: { binary: testHelmBinary(), timeoutSeconds: 90 },
      reconcile: { intervalSeconds: 3600 },
      gateway: { listen: { port: 0 } },
    },
    overrides,
  );
}

/** Options of {@link startDevSessionsTestBackend}. @public */
export interface DevSessionsTestBackendOptions {
  /** The dev-sessions plugin and whatever else the test needs (plugins, modules, service factories). */
  features: TestBackendFeature[];
  /** Merged over {@link devSessionsTestConfig}. */
  devSessions?: TestConfigData;
  /** Other top-level configuration (catalog, permission, backend ...). */
  config?: TestConfigData;
}

/**
 * startTestBackend with the features and a root config of `config` plus the `devSessions` block
 * of {@link devSessionsTestConfig}.
 * @public
 */
export function startDevSessionsTestBackend(
  options: DevSessionsTestBackendOptions,
): Promise<TestBackend> {
  return startTestBackend({
    features: [
      ...options.features,
      mockServices.rootConfig.factory({
        data: {
          ...options.config,
          devSessions: devSessionsTestConfig(options.devSessions),
        },
      }),
    ],
  });
}
