/**
 * Violation messages: text with `${...}` holes, each a CEL expression over
 * the same variables as the rule (`${object.metadata.name}`, `${actual.mode}`).
 * Compiled once with the policy; a hole that fails at evaluation shows as
 * `<error: ...>` instead of failing the verdict. `$${` is a literal `${`.
 */
import { compileCel, formatCel, isProblem, type CelProblem, type CelProgram } from './cel.js';

type Part = string | { expression: string; program: CelProgram };

export interface MessageTemplate {
  readonly source: string;
  /** The template reads `actual`. */
  readonly readsActual: boolean;
  render(context: Record<string, unknown>): string;
}

/** Splits a template into text and `${...}` holes (nested braces and quoted braces inside a hole are kept). */
export function splitTemplate(source: string): Array<string | { expression: string }> | { problem: string } {
  const parts: Array<string | { expression: string }> = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    if (source.startsWith('$${', i)) {
      text += '${';
      i += 3;
    } else if (source.startsWith('${', i)) {
      let depth = 1;
      let j = i + 2;
      let quote: string | undefined;
      for (; j < source.length && depth > 0; j++) {
        const c = source[j];
        if (quote) {
          if (c === '\\') j++;
          else if (c === quote) quote = undefined;
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '{') depth++;
        else if (c === '}') depth--;
      }
      if (depth > 0) return { problem: `unclosed \${ at character ${i + 1}` };
      if (text) parts.push(text);
      text = '';
      parts.push({ expression: source.slice(i + 2, j - 1).trim() });
      i = j;
    } else {
      text += source[i++];
    }
  }
  if (text) parts.push(text);
  return parts;
}

/** Compiles a template; the problems name the hole. */
export function compileMessage(
  source: string,
): MessageTemplate | { problems: Array<CelProblem & { expression?: string }> } {
  const split = splitTemplate(source);
  if (!Array.isArray(split)) return { problems: [{ summary: split.problem }] };
  const parts: Part[] = [];
  const problems: Array<CelProblem & { expression: string }> = [];
  for (const p of split) {
    if (typeof p === 'string') {
      parts.push(p);
      continue;
    }
    if (!p.expression) {
      problems.push({ summary: 'empty ${}', expression: p.expression });
      continue;
    }
    const program = compileCel(p.expression);
    if (isProblem(program)) problems.push({ ...program, expression: p.expression });
    else parts.push({ expression: p.expression, program });
  }
  if (problems.length) return { problems };
  return {
    source,
    readsActual: parts.some((p) => typeof p !== 'string' && p.program.readsActual),
    render(context) {
      let out = '';
      for (const p of parts) {
        if (typeof p === 'string') out += p;
        else {
          try {
            out += formatCel(p.program.run(context));
          } catch (err) {
            out += `<error: ${((err as { summary?: string }).summary ?? (err as Error).message).split('\n')[0]}>`;
          }
        }
      }
      return out;
    },
  };
}
