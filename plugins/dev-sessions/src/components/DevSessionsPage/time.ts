/** "3 min ago" / "in 2 d": a time relative to now, rounded to its largest unit. */
export function relativeTime(
  iso: string | undefined,
  now = Date.now(),
): string | undefined {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return undefined;
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  let text: string;
  if (abs < 60) text = `${abs} s`;
  else if (abs < 3600) text = `${Math.floor(abs / 60)} min`;
  else if (abs < 86400) text = `${Math.floor(abs / 3600)} h`;
  else text = `${Math.floor(abs / 86400)} d`;
  return s > 0 ? `in ${text}` : `${text} ago`;
}

/** The full local date and time, for a tooltip. */
export function fullTime(iso: string | undefined): string | undefined {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? undefined : new Date(t).toLocaleString();
}
