function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects, as Helm merges values files: later sources win. */
export function mergeValues(
  ...sources: Array<Record<string, unknown> | undefined>
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of sources) {
    if (!s) continue;
    for (const [k, v] of Object.entries(s)) {
      const prev = out[k];
      out[k] = isObject(v) && isObject(prev) ? mergeValues(prev, v) : v;
    }
  }
  return out;
}
