import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** The repository's charts/dev-session. */
export const chartPath = path.resolve(
  __dirname,
  '../../../../charts/dev-session',
);

/** The chart's own version, as its Chart.yaml says. */
export const chartVersion = String(
  parseYaml(fs.readFileSync(path.join(chartPath, 'Chart.yaml'), 'utf8'))
    .version,
);
