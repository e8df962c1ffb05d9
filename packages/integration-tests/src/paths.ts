import * as path from 'node:path';

/** Absolute path of the repository root. @public */
// eslint-disable-next-line no-restricted-syntax -- test helpers run from source, never from a build
export const repoRoot = path.resolve(__dirname, '../../..');

/** Absolute path of the dev-session chart. @public */
export const chartDir = path.join(repoRoot, 'charts', 'dev-session');

/**
 * The helm binary of the tests: DEV_SESSIONS_HELM (set by `./dev test` to this repository's
 * copy), else `helm` on PATH. @public
 */
export function testHelmBinary(): string {
  return process.env.DEV_SESSIONS_HELM ?? 'helm';
}
