/**
 * The one place the CLI turns a thrown value into what a person (or a
 * script, with --json) reads: code, message, hint and diagnostics of a
 * SetpointError; the same shape for anything else that carries a
 * `SETPOINT_*` code (the work queue's errors); SETPOINT_INTERNAL for the
 * rest. SETPOINT_DEBUG=1 adds the stack and the chain of causes.
 */
import { inspect } from 'node:util';
import { SetpointError } from '../errors.js';
import type { Diagnostic } from '../manifest/index.js';
import { printDiagnostics } from './diagnostics.js';
import type { Output } from './output.js';

interface Explained {
  code: string;
  message: string;
  hint?: string;
  diagnostics?: Diagnostic[];
}

/** Code, message, hint and diagnostics of any thrown value. */
export function explainError(err: unknown): Explained {
  if (err instanceof SetpointError)
    return { code: err.code, message: err.message, hint: err.hint, diagnostics: err.diagnostics };
  const e = err as { code?: unknown; message?: unknown; hint?: unknown } | undefined;
  const code = typeof e?.code === 'string' && e.code.startsWith('SETPOINT_') ? e.code : 'SETPOINT_INTERNAL';
  return {
    code,
    message: typeof e?.message === 'string' ? e.message : String(err),
    hint: typeof e?.hint === 'string' ? e.hint : undefined,
  };
}

export function reportError(o: Output, err: unknown): void {
  const { diagnostics, ...error } = explainError(err);
  if (o.json) {
    o.printJson({ error, ...(diagnostics ? { diagnostics } : {}) });
    return;
  }
  if (diagnostics?.length) printDiagnostics(o, diagnostics);
  o.err(
    o.colors.red(`error: ${error.message}`) +
      (error.hint ? `\n  hint: ${error.hint}` : '') +
      (process.env.SETPOINT_DEBUG ? `\n${debugTrail(err)}` : ''),
  );
}

/** The stack, then each cause's, for SETPOINT_DEBUG. */
function debugTrail(err: unknown): string {
  const lines: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    const x = e as { stack?: string; cause?: unknown };
    lines.push(`${depth ? 'caused by: ' : ''}${x?.stack ?? inspect(e)}`);
    e = x?.cause;
  }
  return lines.join('\n');
}
