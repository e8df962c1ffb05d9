/*
 * The README's install guide ("## Install into your own Backstage") as data: each step is a fenced
 * block after an HTML comment `<!-- guide:<step> -->`. These helpers read the blocks and apply
 * them to the files of an app made by @backstage/create-app, doing what the guide says and no
 * more, so a wrong step in the README makes the adoption test fail.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { repoRoot } from '../paths';

/** The steps of the guide, in the order a platform team follows them. */
export const GUIDE_STEPS = [
  'add-packages',
  'backend-index',
  'app-features',
  'config',
  'policy-module',
  'policy-index',
] as const;

export type GuideStep = (typeof GUIDE_STEPS)[number];

export interface GuideBlock {
  lang: string;
  code: string;
  /** The README text after the block, up to the next guide step or the end of the section. */
  after: string;
}

export const readmePath = path.join(repoRoot, 'README.md');

/** The section "## Install into your own Backstage" of README.md. */
export function installSection(readme: string): string {
  const start = readme.indexOf('\n## Install into your own Backstage');
  if (start < 0)
    throw new Error('README.md has no "## Install into your own Backstage"');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Every guide step's fenced block (indentation of the list item removed). */
export function readGuide(
  readme = fs.readFileSync(readmePath, 'utf8'),
): Record<GuideStep, GuideBlock> {
  const section = installSection(readme);
  const found: Partial<Record<GuideStep, GuideBlock>> = {};
  const marker =
    /<!-- guide:([a-z-]+) -->\s*\n(?:[ \t]*\n)*([ \t]*)```(\w*)\n/g;
  for (const m of section.matchAll(marker)) {
    const step = m[1] as GuideStep;
    if (!GUIDE_STEPS.includes(step))
      throw new Error(`README.md: unknown guide step ${step}`);
    if (found[step]) throw new Error(`README.md: guide:${step} twice`);
    const indent = m[2];
    const bodyStart = m.index + m[0].length;
    const close = section.indexOf(`\n${indent}\`\`\``, bodyStart - 1);
    if (close < 0) throw new Error(`README.md: guide:${step} is not closed`);
    const code = section
      .slice(bodyStart, close + 1)
      .split('\n')
      .map(l => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
      .join('\n');
    const afterStart = section.indexOf('\n', close + 1) + 1;
    const next = section.indexOf('<!-- guide:', afterStart);
    const after = section.slice(afterStart, next < 0 ? undefined : next);
    found[step] = { lang: m[3], code, after };
  }
  const missing = GUIDE_STEPS.filter(s => !found[s]);
  if (missing.length)
    throw new Error(`README.md: no block for guide:${missing.join(', ')}`);
  return found as Record<GuideStep, GuideBlock>;
}

export interface YarnAdd {
  /** The directory of `yarn --cwd <dir>`, relative to the app. */
  cwd: string;
  packages: string[];
}

/** The `yarn --cwd <dir> add <pkgs…>` commands of a shell snippet; anything else is an error. */
export function yarnAdds(shell: string): YarnAdd[] {
  const adds: YarnAdd[] = [];
  for (const raw of shell.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^yarn --cwd (\S+) add (.+)$/.exec(line);
    if (!m)
      throw new Error(`not a "yarn --cwd <dir> add <packages>" line: ${line}`);
    adds.push({ cwd: m[1], packages: m[2].trim().split(/\s+/) });
  }
  return adds;
}

/** The `yarn --cwd … add …` commands mentioned inline (in backticks) in README prose. */
export function inlineYarnAdds(prose: string): YarnAdd[] {
  const adds: YarnAdd[] = [];
  for (const m of prose.matchAll(/`(yarn --cwd [^`]+)`/g)) {
    adds.push(...yarnAdds(m[1].replace(/\s+/g, ' ')));
  }
  return adds;
}

/** Inserts a block before `backend.start();` of packages/backend/src/index.ts. */
export function insertBeforeStart(indexTs: string, block: string): string {
  const at = indexTs.indexOf('backend.start();');
  if (at < 0) throw new Error('the backend index.ts has no backend.start();');
  return `${indexTs.slice(0, at)}${block.trimEnd()}\n\n${indexTs.slice(at)}`;
}

/**
 * Applies the app-features snippet to App.tsx: its import lines go after the app's imports, and
 * the features its comment names after `...,` in `createApp({ features: [..., X] })` are
 * appended to the app's `features: [...]`.
 */
export function applyAppFeatures(appTsx: string, snippet: string): string {
  const lines = snippet.split('\n');
  const imports = lines.filter(l => l.startsWith('import '));
  const hint = /features:\s*\[\s*\.\.\.\s*,\s*([^\]]+?)\s*\]/.exec(snippet);
  if (!imports.length || !hint)
    throw new Error(
      `the app-features snippet should have imports and a "features: [..., X]" comment:\n${snippet}`,
    );
  const names = hint[1].split(',').map(s => s.trim());
  const appLines = appTsx.split('\n');
  let lastImport = -1;
  appLines.forEach((l, i) => {
    if (l.startsWith('import ')) lastImport = i;
  });
  // an import may span lines: move to the line that ends it
  while (lastImport >= 0 && !/;\s*$/.test(appLines[lastImport])) lastImport++;
  appLines.splice(lastImport + 1, 0, ...imports);
  const withImports = appLines.join('\n');
  const features = /features:\s*\[([^\]]*)\]/.exec(withImports);
  if (!features) throw new Error('App.tsx has no features: [...]');
  const existing = features[1].trim().replace(/,\s*$/, '');
  const list = [existing, ...names].filter(Boolean).join(', ');
  return withImports.replace(features[0], `features: [${list}]`);
}

/** Replaces the allow-all policy's `backend.add(import(…allow-all-policy…));` with a block. */
export function replaceAllowAllPolicy(indexTs: string, block: string): string {
  const allowAll =
    /backend\.add\(\s*import\(\s*'@backstage\/plugin-permission-backend-module-allow-all-policy'\s*\),?\s*\);/;
  if (!allowAll.test(indexTs))
    throw new Error('the backend index.ts does not add the allow-all policy');
  return indexTs.replace(allowAll, block.trim());
}

/**
 * Appends the config snippet to app-config.yaml's text, as a reader pasting it would; fails when
 * the result is not valid YAML (a key the app has already, for instance).
 */
export function appendYamlConfig(configYaml: string, snippet: string): string {
  const merged = `${configYaml.trimEnd()}\n\n${snippet.trim()}\n`;
  const doc = parseDocument(merged, { uniqueKeys: true });
  if (doc.errors.length)
    throw new Error(
      `app-config.yaml with the guide's config is not valid YAML: ${doc.errors
        .map(e => e.message)
        .join('; ')}`,
    );
  if (!isMap(parseDocument(snippet).contents))
    throw new Error('the config snippet is not a map');
  return merged;
}
