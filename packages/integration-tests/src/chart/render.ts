import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { chartDir, run } from '../index';

export const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';

export const baseValues = {
  project: { uuid: UUID, id: 'demo' },
  user: { id: 'user:default/jane' },
};

function helmBin() {
  return process.env.DEV_SESSIONS_HELM ?? 'helm';
}

/** Calls fn with a temporary file holding the values (helm takes them with -f, never --set). */
export async function withValuesFile<T>(
  values: object,
  fn: (file: string) => Promise<T>,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'values-'));
  const file = path.join(dir, 'values.json');
  fs.writeFileSync(file, JSON.stringify(values));
  try {
    return await fn(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `helm template` of the chart with the values (and extra helm arguments). */
export function template(
  values: object,
  release = 'dev-session',
  extraArgs: string[] = [],
) {
  return withValuesFile(values, file =>
    run(helmBin(), [
      'template',
      release,
      chartDir,
      '-n',
      UUID,
      '-f',
      file,
      ...extraArgs,
    ]),
  );
}

/** Authentication in front of the Ingress: the chart renders no Ingress without it. */
export const ingressAuth = {
  annotations: {
    'nginx.ingress.kubernetes.io/auth-url':
      'https://oauth2.example.com/oauth2/auth',
    'nginx.ingress.kubernetes.io/auth-signin':
      'https://oauth2.example.com/oauth2/start?rd=$scheme://$host$escaped_request_uri',
  },
};

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any;
  [k: string]: any;
}

/** Parses `helm template` output; throws when a document is not valid YAML. */
export function parse(stdout: string): K8sObject[] {
  const docs = parseAllDocuments(stdout);
  for (const d of docs) {
    if (d.errors.length)
      throw new Error(
        `invalid YAML in the rendered output: ${d.errors[0].message}`,
      );
  }
  return docs.map(d => d.toJS()).filter(Boolean);
}

/** Renders and parses; throws with helm's message when rendering fails. */
export async function render(values: object): Promise<K8sObject[]> {
  const r = await template(values);
  if (r.code !== 0) throw new Error(r.stderr);
  return parse(r.stdout);
}

export function find(objs: K8sObject[], kind: string, name?: string) {
  const hit = objs.filter(
    o => o.kind === kind && (!name || o.metadata.name === name),
  );
  return hit;
}

export function one(objs: K8sObject[], kind: string, name?: string): K8sObject {
  const hit = find(objs, kind, name);
  if (hit.length !== 1) {
    throw new Error(
      `expected one ${kind}${name ? ` ${name}` : ''}, found ${
        hit.map(h => h.metadata.name).join(', ') || 'none'
      }`,
    );
  }
  return hit[0];
}

export function merge(...parts: object[]): any {
  const out: any = {};
  const deep = (t: any, s: any) => {
    for (const [k, v] of Object.entries(s)) {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        t[k] = deep(t[k] && typeof t[k] === 'object' ? t[k] : {}, v);
      } else t[k] = v;
    }
    return t;
  };
  for (const p of parts) deep(out, p);
  return out;
}
