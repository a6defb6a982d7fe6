/**
 * Regular expressions written by users (policy rules, patterns in specs),
 * matched in time linear in the input with RE2 (re2-wasm: WebAssembly, no
 * native build). JavaScript's backtracking engine takes exponential time on
 * patterns like `^(a+)+$` against "aaaa…!", which would hang validate, plan
 * and apply. RE2 has no backreferences and no lookaround; such a pattern is
 * refused with a syntax error instead of being run.
 */
import { lazy } from './lazy.js';

interface Re2Instance {
  test(input: string): boolean;
}
interface Re2Module {
  RE2: new (pattern: string, flags: string) => Re2Instance;
}

// WebAssembly instantiation costs ~100 ms: only runs that match a pattern pay it.
const re2 = lazy<Re2Module>('re2-wasm');

/** A compiled pattern; `test` is linear in the input's length. */
export interface LinearRegex {
  readonly source: string;
  test(input: string): boolean;
}

/** A pattern RE2 cannot compile (bad syntax, backreference, lookaround). */
export class RegexSyntaxError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'RegexSyntaxError';
  }
}

/** Hint for RegexSyntaxError, for diagnostics. */
export const REGEX_HINT =
  'patterns use RE2 syntax (linear time): no backreferences (\\1) and no lookaround ((?=, (?!, (?<=)';

/**
 * Compiled patterns by source and flags. RE2 objects live in WebAssembly
 * memory that the garbage collector does not free, so the cache is bounded
 * and an evicted pattern's memory is released explicitly.
 */
const MAX_CACHED = 512;
const cache = new Map<string, Re2Instance>();

/**
 * Compiles `pattern` (JavaScript syntax minus backreferences and lookaround).
 * `flags` may hold `i`, `m` and `s`. Throws RegexSyntaxError.
 */
export function linearRegex(pattern: string, flags = ''): LinearRegex {
  const key = `${flags}/${pattern}`;
  instance(key, pattern, flags);
  // Looked up at each test: an evicted pattern is compiled again, never used after its memory is freed.
  return { source: pattern, test: (input) => instance(key, pattern, flags).test(input) };
}

function instance(key: string, pattern: string, flags: string): Re2Instance {
  let compiled = cache.get(key);
  if (compiled) {
    // Re-inserted, so the Map's order is least recently used first.
    cache.delete(key);
    cache.set(key, compiled);
    return compiled;
  }
  compiled = compile(pattern, flags);
  cache.set(key, compiled);
  if (cache.size > MAX_CACHED) evict(cache.keys().next().value!);
  return compiled;
}

/** Whether `input` matches anywhere, like RegExp.prototype.test. Throws RegexSyntaxError. */
export function linearTest(pattern: string, input: string, flags = ''): boolean {
  return linearRegex(pattern, flags).test(input);
}

/** The reason RE2 refuses `pattern`, or undefined when it compiles. */
export function regexProblem(pattern: string, flags = ''): string | undefined {
  try {
    linearRegex(pattern, flags);
    return undefined;
  } catch (err) {
    if (err instanceof RegexSyntaxError) return err.reason;
    throw err;
  }
}

function compile(pattern: string, flags: string): Re2Instance {
  try {
    // RE2 only runs in unicode mode ("u"), which is also how CEL strings are meant.
    return new (re2().RE2)(pattern, `${flags}u`);
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    // "Invalid regular expression: /p/u: missing ): (a" -> "missing ): (a"
    const reason = /^Invalid regular expression: \/.*\/[a-z]*: (.*)$/s.exec(message)?.[1] ?? message;
    throw new RegexSyntaxError(pattern, reason);
  }
}

function evict(key: string): void {
  const re = cache.get(key) as unknown as { wrapper?: { delete?: () => void } } | undefined;
  cache.delete(key);
  re?.wrapper?.delete?.();
}
