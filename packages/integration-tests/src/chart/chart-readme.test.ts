/*
 * The chart README documents values.yaml as it is: its values table is generated from the `# --`
 * comments of values.yaml (run with UPDATE_CHART_README=1 to rewrite it, then Prettier), every
 * key of values.yaml is documented, and the size table (in the README and in values.yaml's own
 * comment) matches the presets, pod totals included.
 */
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  presetRows,
  readmeFile,
  readmeSection,
  ROLES,
  tableCells,
  undocumentedLeaves,
  valuesFile,
  valuesRows,
  valuesTable,
} from './valuesDoc';

const cellsOf = (
  rows: { key: string; description: string; default: string }[],
) =>
  rows.map(r =>
    [r.key, r.description, r.default].map(c =>
      c.replace(/\|/g, '\\|').replace(/ {2,}/g, ' '),
    ),
  );

if (process.env.UPDATE_CHART_README) {
  const readme = fs.readFileSync(readmeFile, 'utf8');
  const start = '<!-- values:start -->';
  const old = `${start}${readmeSection(readme, 'values')}`;
  fs.writeFileSync(
    readmeFile,
    readme.replace(old, `${start}\n\n${valuesTable()}\n\n`),
    'utf8',
  );
}

/** millicores and MiB as the size table writes them: 500m, 2Gi, 1536Mi. */
const cpu = (m: number) => `${m}m`;
const mem = (mi: number) => (mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`);
const milli = (q: string) =>
  q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
const mebi = (q: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`the presets use Mi and Gi only, not ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

/** The rows the size table must have: per role, and the pod's totals on each size's first row. */
function expectedSizeRows(): string[][] {
  const values = parseYaml(fs.readFileSync(valuesFile, 'utf8'));
  return presetRows().map(([size, role, requests, limits]) => {
    if (role !== ROLES[0]) return [size, role, requests, limits, '', '', ''];
    const p = values.presets[size];
    const sum = (kind: 'requests' | 'limits', res: 'cpu' | 'memory') =>
      ROLES.reduce(
        (t, r) =>
          t + (res === 'cpu' ? milli : mebi)(String(p.resources[r][kind][res])),
        0,
      );
    return [
      size,
      role,
      requests,
      limits,
      `${cpu(sum('requests', 'cpu'))} / ${mem(sum('requests', 'memory'))}`,
      `${cpu(sum('limits', 'cpu'))} / ${mem(sum('limits', 'memory'))}`,
      p.storage,
    ];
  });
}

describe('dev-session chart README', () => {
  const readme = fs.readFileSync(readmeFile, 'utf8');

  it('documents every key of values.yaml', () => {
    expect(undocumentedLeaves()).toEqual([]);
    expect(valuesRows().every(r => r.description.length > 0)).toBe(true);
  });

  it('has the values table generated from values.yaml (UPDATE_CHART_README=1 rewrites it)', () => {
    expect(tableCells(readmeSection(readme, 'values'))).toEqual(
      cellsOf(valuesRows()),
    );
  });

  it('has the size table of the presets, with the pod totals', () => {
    expect(tableCells(readmeSection(readme, 'sizes'))).toEqual(
      expectedSizeRows(),
    );
  });

  it("has the same size table in values.yaml's comment", () => {
    const comment = fs
      .readFileSync(valuesFile, 'utf8')
      .split('\n')
      .filter(l => l.startsWith('# |'))
      .map(l => l.slice(2))
      .join('\n');
    expect(tableCells(comment)).toEqual(expectedSizeRows());
  });

  it('the medium preset is the design budget: 500m / 2Gi requests, 2000m / 4Gi limits, 10Gi', () => {
    const medium = expectedSizeRows().find(r => r[0] === 'medium')!;
    expect(medium.slice(4)).toEqual(['500m / 2Gi', '2000m / 4Gi', '10Gi']);
  });
});
