/**
 * The CEL side of policies (@marcbachmann/cel-js): one environment with the
 * two variables rules see, conversion of resource values to CEL values, and
 * error texts. CEL integers are BigInts while JS numbers are CEL doubles, so
 * every whole number is converted before evaluation: `object.spec.replicas * 2`
 * then works as written.
 */
import type { ASTNode, Environment, ParseResult } from '@marcbachmann/cel-js';
import { lazy } from '../util/lazy.js';
import { REGEX_HINT } from '../util/linear-regex.js';
import { installLinearMatches, patternProblems } from './matches.js';

const cel = lazy<typeof import('@marcbachmann/cel-js')>('@marcbachmann/cel-js');

/** The variables a rule can read. */
export const OBJECT_VAR = 'object';
export const ACTUAL_VAR = 'actual';

let environment: Environment | undefined;

/**
 * The shared environment: `object` and `actual`, both maps; nothing else is
 * declared. `matches` runs on RE2 (linear time, see matches.ts).
 */
export function celEnvironment(): Environment {
  if (!environment) {
    const env = new (cel().Environment)()
      .registerVariable(OBJECT_VAR, 'map')
      .registerVariable(ACTUAL_VAR, 'map');
    installLinearMatches(env);
    environment = env;
  }
  return environment;
}

export interface CelProgram {
  /** The parsed expression, callable with a context. */
  run: ParseResult;
  /** The type the checker inferred (bool, string, dyn...). */
  type: string;
  /** The expression reads `actual` (so it can only run against an observed state). */
  readsActual: boolean;
}

/** A compile problem: the library's one-line summary and its source line with a caret. */
export interface CelProblem {
  summary: string;
  detail?: string;
  /** What to do, when more specific than the caller's general hint. */
  hint?: string;
}

/** Parses and type-checks an expression; a problem instead of a program when either fails. */
export function compileCel(expression: string): CelProgram | CelProblem {
  let run: ParseResult;
  try {
    run = celEnvironment().parse(expression);
  } catch (err) {
    return celProblem(err);
  }
  const checked = run.check();
  if (!checked.valid) return celProblem(checked.error);
  const bad = patternProblems(run.ast)[0];
  if (bad)
    return {
      summary: `matches(${JSON.stringify(bad.pattern)}): ${bad.reason}`,
      hint: REGEX_HINT,
    };
  return { run, type: checked.type ?? 'dyn', readsActual: readsVariable(run.ast, ACTUAL_VAR) };
}

export function isProblem(x: CelProgram | CelProblem): x is CelProblem {
  return (x as CelProblem).summary !== undefined;
}

/** Splits the library's message ("summary\n\n> 1 | source\n    ^") into a summary and the caret lines. */
export function celProblem(err: unknown): CelProblem {
  const e = err as { summary?: string; message?: string } | undefined;
  const message = e?.message ?? String(err);
  const [head, ...rest] = message.split('\n');
  const detail = rest.join('\n').replace(/^\n+/, '').trimEnd();
  return { summary: e?.summary ?? head, detail: detail || undefined };
}

/** Whether `name` is read anywhere in the expression. */
export function readsVariable(node: ASTNode, name: string): boolean {
  const seen = (value: unknown): boolean => {
    if (Array.isArray(value)) return value.some(seen);
    if (value && typeof value === 'object' && 'op' in value && 'args' in value) {
      const n = value as ASTNode;
      if (n.op === 'id') return n.args === name;
      return seen(n.args);
    }
    return false;
  };
  return seen(node);
}

/** A resource value as CEL sees it: whole numbers become ints (BigInt), undefined fields are absent. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value instanceof Uint8Array) return value;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toCel(v);
    return out;
  }
  return value;
}

/** A CEL value as text for messages: strings as they are, everything else as JSON-ish text. */
export function formatCel(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (value === null || value === undefined) return 'null';
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return JSON.stringify(value, (_k, v: unknown): unknown => {
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof Map) return Object.fromEntries(v as Map<unknown, unknown>) as unknown;
    return v;
  });
}
