/**
 * CEL's `string.matches(pattern)` on RE2, so a rule's regular expression runs
 * in time linear in the input: with the library's own implementation (a
 * JavaScript RegExp) `matches('^(a+)+$')` against 34 'a's and a '!' took
 * about 100 s per validate, plan and apply.
 *
 * @marcbachmann/cel-js has no way to replace a built-in overload (a second
 * `string.matches(string)` is refused as overlapping), so the declaration is
 * swapped inside the environment's own overload candidates, which a checked
 * call exposes. The swap is verified when it is made, so a library upgrade
 * that moves these internals fails every policy loudly rather than silently
 * bringing back the backtracking engine.
 */
import type { ASTNode, Environment } from '@marcbachmann/cel-js';
import { linearTest, regexProblem } from '../util/linear-regex.js';

const SIGNATURE = 'string.matches(string): bool';

interface Declaration {
  signature: string;
  handler: (...args: unknown[]) => unknown;
}

/** Makes `matches` in `env` use RE2. Throws when the library's internals are not as expected. */
export function installLinearMatches(env: Environment): void {
  const probe = env.parse("''.matches('')");
  probe.check();
  const candidates = (probe.ast as unknown as { candidates?: { declarations?: Declaration[] } }).candidates;
  const declarations = candidates?.declarations;
  const index = declarations?.findIndex((d) => d.signature === SIGNATURE) ?? -1;
  if (!declarations || index < 0)
    throw new Error(
      `cannot install the linear-time ${SIGNATURE}: @marcbachmann/cel-js changed its internals`,
    );
  const original = declarations[index];
  let probing = false;
  let reached = false;
  // Same prototype and fields (the library reads them), another handler.
  const replacement = Object.freeze(
    Object.assign(Object.create(Object.getPrototypeOf(original) as object) as Declaration, original, {
      handler: (input: unknown, pattern: unknown) =>
        probing ? (reached = true) : linearTest(String(pattern), String(input)),
    }),
  );
  declarations[index] = replacement;
  // Checked without loading the RE2 engine: only runs that match a pattern pay for it.
  probing = true;
  try {
    env.parse("object.x.matches('')")({ object: { x: '' } });
  } finally {
    probing = false;
  }
  if (!reached)
    throw new Error(`cannot install the linear-time ${SIGNATURE}: the library kept its own implementation`);
}

/** A literal pattern of a `matches` call that RE2 refuses. */
export interface PatternProblem {
  pattern: string;
  reason: string;
}

/**
 * Checks the literal patterns of the expression's `matches` calls, so a
 * pattern RE2 cannot run is refused when the policy is compiled, not each
 * time it is evaluated.
 */
export function patternProblems(ast: ASTNode): PatternProblem[] {
  const out: PatternProblem[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!value || typeof value !== 'object' || !('op' in value) || !('args' in value)) return;
    const node = value as ASTNode;
    if (node.op === 'rcall') {
      const [name, , args] = node.args;
      const arg = args?.[0];
      if (name === 'matches' && args.length === 1 && arg?.op === 'value' && typeof arg.args === 'string') {
        const reason = regexProblem(arg.args);
        if (reason !== undefined) out.push({ pattern: arg.args, reason });
      }
    }
    visit(node.args);
  };
  visit(ast);
  return out;
}
