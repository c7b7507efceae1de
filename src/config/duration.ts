// Durations in the config file: seconds as a number (fractions allowed), or a string with a unit.

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const pattern = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;

/** Milliseconds of a config duration: 30 → 30000, "180m" → 10800000, "250ms" → 250. */
export function parseDuration(value: number | string, where: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`${where}: a duration must be a non-negative number of seconds, not ${value}.`);
    return Math.round(value * 1000);
  }
  const match = pattern.exec(value);
  if (match === null) throw new Error(`${where}: "${value}" is not a duration; write seconds (30) or a number with a unit ms, s, m, h or d ("30s", "180m").`);
  return Math.round(Number(match[1]) * units[match[2] ?? 's']!);
}
