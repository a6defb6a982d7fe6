/** Durations as text: "250ms", "30s", "5m", "1h", "1d", "1h30m", or a number of seconds. No zod here: the CLI parses options with it at start-up. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return value >= 0 ? value * 1000 : undefined;
  let total = 0;
  // Compound forms such as "1h30m".
  const parts = value.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d)/g);
  if (!parts || parts.join('') !== value) return undefined;
  for (const p of parts) {
    const m = PATTERN.exec(p)!;
    total += Number(m[1]) * UNITS[m[2]];
  }
  return total;
}

export function formatDuration(ms: number): string {
  // Each threshold is where rounding would carry into the next unit (no "1000ms", "60.0s", "1m60s").
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  if (ms < 9_995) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_599_500) {
    const s = Math.round(ms / 1000);
    return `${Math.floor(s / 60)}m${s % 60}s`;
  }
  const m = Math.round(ms / 60_000);
  return `${Math.floor(m / 60)}h${m % 60}m`;
}
