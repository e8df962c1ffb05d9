/**
 * Kubernetes resource quantities ("500m", "2", "1.5", "4Gi", "4G", "512Mi") as numbers: CPU in
 * cores, memory and storage in bytes. Only the forms the Kubernetes API accepts.
 */
const QUANTITY =
  /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[0-9]+)?$/;

const FACTORS: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** True when the value is a Kubernetes quantity (a string such as "500m" or "4Gi", or a number). */
export function isQuantity(value: unknown): value is string | number {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0;
  return typeof value === 'string' && QUANTITY.test(value);
}

/** The value of a quantity in base units (cores or bytes); throws on anything else. */
export function parseQuantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = QUANTITY.exec(value);
  if (!m) throw new Error(`"${value}" is not a Kubernetes quantity`);
  const suffix = m[2] ?? '';
  const factor = suffix.startsWith('e')
    ? 10 ** Number(suffix.slice(1))
    : FACTORS[suffix];
  return Number(m[1]) * factor;
}
