import { InputError } from '@backstage/errors';
import { parseAllDocuments } from 'yaml';

/** One object of a rendered manifest. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any;
}

/** Refuses a rendered chart: a 400 naming the object and the rule. */
export function refuse(object: string, rule: string): never {
  throw new InputError(
    `The rendered chart was refused before anything was installed: ${object} ${rule}`,
  );
}

/**
 * Parses `helm template` output with a YAML parser (never a regex): every document must be a
 * mapping, keys unique, no aliases.
 */
export function parseManifest(manifests: string): KubeObject[] {
  const docs = parseAllDocuments(manifests, { uniqueKeys: true, merge: false });
  if (!Array.isArray(docs)) refuse('the manifest', 'is not a YAML stream');
  const objects: KubeObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length)
      refuse(
        'a document',
        `is not valid YAML (${doc.errors[0].message.split('\n')[0]})`,
      );
    const o = doc.toJS({ maxAliasCount: 0 });
    if (o === null || o === undefined) continue;
    if (typeof o !== 'object' || Array.isArray(o))
      refuse('a document', 'is not a Kubernetes object');
    objects.push(o as KubeObject);
  }
  return objects;
}
