/*
 * The chart README's values table, generated from values.yaml: every key with a `# --` comment
 * is a row (its description is the comment, its default the value, or the text of a
 * `@default --` line). The three containers share their rows (`containers.<role>.…`), with the
 * defaults of each role when they differ. Also: which leaves of values.yaml no row documents,
 * and the size preset table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, parseDocument, Pair, YAMLMap } from 'yaml';
import { chartDir } from '../index';

export const ROLES = ['preview', 'chat', 'vscode'] as const;

export interface ValuesRow {
  key: string;
  description: string;
  default: string;
}

interface Entry {
  path: string[];
  description: string;
  defaultText?: string;
  value: unknown;
}

export const valuesFile = path.join(chartDir, 'values.yaml');
export const readmeFile = path.join(chartDir, 'README.md');

/** The `# --` part of a comment block: description and `@default --` text. */
function docOf(
  comment: string | undefined,
): { description: string; defaultText?: string } | undefined {
  if (!comment) return undefined;
  const lines = comment.split('\n').map(l => l.replace(/^ ?/, ''));
  const start = lines.findIndex(l => l.startsWith('-- '));
  if (start < 0) return undefined;
  const desc: string[] = [];
  let defaultText: string | undefined;
  let inDescription = true;
  for (const line of lines.slice(start)) {
    if (line.startsWith('@default -- ')) {
      defaultText = line.slice('@default -- '.length).trim();
      continue;
    }
    // what follows an empty line (a table, say) is for values.yaml readers only
    if (line.trim() === '') inDescription = false;
    if (inDescription) desc.push(line.replace(/^-- /, '').trim());
  }
  return { description: desc.join(' '), defaultText };
}

function walk(
  map: YAMLMap,
  prefix: string[],
  out: Entry[],
  leaves: string[][],
) {
  (map.items as Pair[]).forEach((item, i) => {
    const key = String(isScalar(item.key) ? item.key.value : item.key);
    const p = [...prefix, key];
    // the comment before a map's first key belongs to the map node
    const comment =
      (isScalar(item.key) ? item.key.commentBefore : undefined) ??
      (i === 0 ? map.commentBefore : undefined);
    const doc = docOf(comment ?? undefined);
    const value = item.value;
    if (doc) {
      out.push({
        path: p,
        description: doc.description,
        defaultText: doc.defaultText,
        value:
          (value as any)?.toJSON?.() ?? (isScalar(value) ? value.value : value),
      });
    }
    if (isMap(value) && value.items.length > 0 && !value.flow) {
      walk(value, p, out, leaves);
    } else {
      leaves.push(p);
    }
  });
}

/** `containers.chat.image.tag` → `containers.<role>.image.tag`. */
export function roleKey(p: string[]): string {
  return p
    .map((s, i) =>
      i === 1 &&
      p[0] === 'containers' &&
      (ROLES as readonly string[]).includes(s)
        ? '<role>'
        : s,
    )
    .join('.');
}

function show(v: unknown): string {
  if (v === '') return '`""`';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  if (text.includes('\n'))
    throw new Error(`a multi-line default needs a "@default --" line: ${text}`);
  return `\`${text}\``;
}

function parseValues() {
  const doc = parseDocument(fs.readFileSync(valuesFile, 'utf8'));
  const entries: Entry[] = [];
  const leaves: string[][] = [];
  walk(doc.contents as YAMLMap, [], entries, leaves);
  return { entries, leaves, values: doc.toJS() };
}

/** The rows of the values table, in the order of values.yaml. */
export function valuesRows(): ValuesRow[] {
  const { entries } = parseValues();
  const rows: ValuesRow[] = [];
  const byKey = new Map<string, Entry[]>();
  for (const e of entries) {
    const key = roleKey(e.path);
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key)!.push(e);
  }
  for (const [key, group] of byKey) {
    const described = group.find(e => e.description);
    const fixed = group.find(e => e.defaultText);
    let def: string;
    if (fixed) def = fixed.defaultText!;
    else if (!key.includes('<role>')) def = show(group[0].value);
    else {
      // the defaults of each role: "preview, chat: `x`; vscode: `y`" (one value when alike)
      const { values } = parseValues();
      const sub = key.split('.').slice(2);
      const byValue = new Map<string, string[]>();
      for (const role of ROLES) {
        const v = sub.reduce((o: any, k) => o?.[k], values.containers[role]);
        const s = show(v);
        byValue.set(s, [...(byValue.get(s) ?? []), role]);
      }
      def =
        byValue.size === 1
          ? [...byValue.keys()][0]
          : [...byValue]
              .map(([v, roles]) => `${roles.join(', ')}: ${v}`)
              .join('; ');
    }
    rows.push({
      key: `\`${key}\``,
      description: described?.description ?? '',
      default: def,
    });
  }
  return rows;
}

/** Leaves of values.yaml (`<role>` for the containers) that no documented key covers. */
export function undocumentedLeaves(): string[] {
  const { entries, leaves } = parseValues();
  const documented = new Set(entries.map(e => roleKey(e.path)));
  const covered = (p: string[]) =>
    p.some((_, i) => documented.has(roleKey(p.slice(0, i + 1))));
  return [...new Set(leaves.filter(l => !covered(l)).map(roleKey))];
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The values table as Markdown (Prettier aligns it when the README is formatted). */
export function valuesTable(): string {
  const lines = ['| Key | Description | Default |', '| --- | --- | --- |'];
  for (const r of valuesRows())
    lines.push(
      `| ${cell(r.key)} | ${cell(r.description)} | ${cell(r.default)} |`,
    );
  return lines.join('\n');
}

/** The cells of a Markdown table's body rows, trimmed (alignment does not matter). */
export function tableCells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter(l => l.trim().startsWith('|'))
    .slice(2)
    .map(l =>
      l
        .trim()
        .replace(/^\|/, '')
        .replace(/\|$/, '')
        .split(/(?<!\\)\|/)
        .map(c => c.trim().replace(/ {2,}/g, ' ')),
    );
}

/** The part of the README between `<!-- name:start -->` and `<!-- name:end -->`. */
export function readmeSection(readme: string, name: string): string {
  const start = readme.indexOf(`<!-- ${name}:start -->`);
  const end = readme.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start)
    throw new Error(`README.md has no <!-- ${name}:start/end --> section`);
  return readme.slice(start + `<!-- ${name}:start -->`.length, end);
}

/** The size presets from values.yaml: one row per size and role. */
export function presetRows(): string[][] {
  const { values } = parseValues();
  const rows: string[][] = [];
  for (const size of ['small', 'medium', 'large']) {
    const p = values.presets[size];
    for (const role of ROLES) {
      const r = p.resources[role];
      rows.push([
        size,
        role,
        `${r.requests.cpu} / ${r.requests.memory}`,
        `${r.limits.cpu} / ${r.limits.memory}`,
      ]);
    }
  }
  return rows;
}
