/** Window names for labels and PromQL ranges. */
import { formatDuration } from '../../util/duration.js';

/** "1h", "30m", "3d": the short names used as the `window` label and as PromQL ranges. */
export function windowName(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return formatDuration(ms);
}
