/*
 * One replica of the dev-sessions backend for the replicas test (packages/integration-tests/src/replicas): a minimal real Backstage
 * backend (backend-defaults) with only the dev-sessions plugin. The harness runs it as
 *
 *   node --enable-source-maps --require @backstage/cli-node/config/nodeTransform.cjs \
 *     replica.ts --config <replica config>
 *
 * (what `backstage-cli package start` does for a backend), in its own process group, so the
 * test can SIGKILL it together with its helm children the way a pod dies.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();
if (process.env.DEV_SESSIONS_REPLICA_PLUGIN) {
  // another copy of the plugin (for example an older commit checked out elsewhere), to run the
  // same test against it
  backend.add(import(process.env.DEV_SESSIONS_REPLICA_PLUGIN));
} else {
  backend.add(import('../src'));
}
backend.start().catch(e => {
  // eslint-disable-next-line no-console
  console.error('replica failed to start', e);
  process.exit(1);
});
