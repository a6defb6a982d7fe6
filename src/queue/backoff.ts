/**
 * The retry delay: exponential in the number of failures, capped, then spread
 * by a random jitter so that keys which failed together do not retry together.
 * Pure apart from `random`. The work queue uses it per key; anything else that
 * backs off (a crash-looping process) can reuse the same formula.
 */
import { checkOption } from './errors.js';

export interface BackoffOptions {
  /** Delay before the first retry, in ms; each further failure doubles it. Defaults to 100. */
  baseDelayMs?: number;
  /** Cap on the doubled delay, in ms, before jitter. Defaults to 300000 (5 minutes). */
  maxDelayMs?: number;
  /**
   * Spread, as a fraction of the capped delay: the delay is multiplied by a
   * uniform factor in [1 - jitter, 1 + jitter]. Between 0 and 1. Defaults to 0.2.
   */
  jitter?: number;
  /** Uniform random number in [0, 1). Defaults to Math.random. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = Object.freeze({
  baseDelayMs: 100,
  maxDelayMs: 300_000,
  jitter: 0.2,
  random: Math.random,
});

/** Applies the backoff defaults and refuses values that make no sense (negative, NaN, jitter above 1). */
export function backoffWithDefaults(options: BackoffOptions = {}): Required<BackoffOptions> {
  const baseDelayMs = checkOption(
    'backoff',
    'baseDelayMs',
    options.baseDelayMs ?? DEFAULT_BACKOFF.baseDelayMs,
    0,
  );
  return {
    baseDelayMs,
    maxDelayMs: checkOption(
      'backoff',
      'maxDelayMs',
      options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs,
      baseDelayMs,
    ),
    jitter: checkOption('backoff', 'jitter', options.jitter ?? DEFAULT_BACKOFF.jitter, 0, 1),
    random: options.random ?? DEFAULT_BACKOFF.random,
  };
}

/**
 * The delay before retry number `failures + 1`, in ms (fractional):
 * `min(maxDelayMs, baseDelayMs * 2^failures) * (1 ± jitter)`. `failures` is
 * how many retries came before this one, so the first retry waits about
 * `baseDelayMs`. With jitter the result may exceed `maxDelayMs` by up to the
 * jitter fraction; it is never negative.
 */
export function backoffDelay(failures: number, options: BackoffOptions = {}): number {
  const { baseDelayMs, maxDelayMs, jitter, random } = backoffWithDefaults(options);
  // 2^64 times any sane base is far above any cap; the bound keeps the product finite.
  const exponent = Math.min(Math.max(0, Math.floor(failures) || 0), 64);
  const capped = Math.min(maxDelayMs, baseDelayMs * 2 ** exponent);
  return Math.max(0, capped * (1 + jitter * (2 * random() - 1)));
}
