/**
 * Regular expressions written by users (policy rules, silence matchers),
 * matched in time linear in the input with RE2's algorithm (re2js, a pure
 * JavaScript port: no native build, no WebAssembly memory ceiling).
 * JavaScript's backtracking engine takes exponential time on patterns like
 * `^(a+)+$` against "aaaa…!", which would hang validate, plan, apply and
 * serve. RE2 syntax has no backreferences and no lookaround; such a pattern
 * is refused with a syntax error instead of being run.
 */
import type { RE2JS } from 're2js';
import { lazy } from './lazy.js';

// Loaded on first use: most runs match no pattern.
const re2js = lazy<typeof import('re2js')>('re2js');

/** A compiled pattern; `test` (an unanchored search) is linear in the input's length. */
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
  'patterns use RE2 syntax (linear time): no backreferences (\\1) and no lookaround ((?=, (?!, (?<=); write \\x{e9}, not \\u00e9';

/** Compiled patterns by flags and source, least recently used first; bounded, as patterns may come from data. */
const MAX_CACHED = 512;
const cache = new Map<string, RE2JS>();

/**
 * Compiles `pattern` (RE2 syntax). `flags` may hold `i` (case-insensitive),
 * `m` (^ and $ at line ends) and `s` (. matches a newline). Throws RegexSyntaxError.
 */
export function linearRegex(pattern: string, flags = ''): LinearRegex {
  const key = `${flags}/${pattern}`;
  let compiled = cache.get(key);
  if (compiled) {
    // Re-inserted, so the Map's order stays least recently used first.
    cache.delete(key);
  } else {
    compiled = compile(pattern, flags);
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, compiled);
  const re = compiled;
  return { source: pattern, test: (input) => re.test(input) };
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

function compile(pattern: string, flags: string): RE2JS {
  const { RE2JS } = re2js();
  let bits = 0;
  if (flags.includes('i')) bits |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) bits |= RE2JS.MULTILINE;
  if (flags.includes('s')) bits |= RE2JS.DOTALL;
  try {
    return RE2JS.compile(pattern, bits);
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    throw new RegexSyntaxError(pattern, message.replace(/^error parsing regexp: /, ''));
  }
}
