/** Durations in manifests and settings: "250ms", "30s", "5m", "1h", "1d", or a number of seconds. */
import * as z from 'zod';
import { parseDuration } from './duration-text.js';

export { formatDuration, parseDuration } from './duration-text.js';

/** A duration field; parses to milliseconds. */
export const DurationSchema = z
  .union([z.string(), z.number().nonnegative()])
  .refine((v) => parseDuration(v) !== undefined, { message: 'a duration such as "30s", "5m" or "1h30m"' })
  .describe('A duration: "250ms", "30s", "5m", "1h", or a number of seconds.');
