import { resolvePackagePath } from '@backstage/backend-plugin-api';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The chart this package was published with: `chart/` in the package (packing copies the
 * repository's charts/dev-session there), or undefined where there is none (a source checkout).
 */
export function bundledChart(): string | undefined {
  try {
    const dir = resolvePackagePath(
      '@dev-sessions/backstage-plugin-dev-sessions-backend',
      'chart',
    );
    return fs.existsSync(path.join(dir, 'Chart.yaml')) ? dir : undefined;
  } catch {
    return undefined; // bundled into something that has no package.json of ours
  }
}
