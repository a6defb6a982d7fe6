/** Turns an error thrown by a provider into a diagnostic at the field's location. */
import type { Diagnostic, FieldLocator, Resource } from '../manifest/index.js';
import { ProviderError } from '../provider/errors.js';
import { redactor } from '../secrets/index.js';

export function errorDiagnostic(
  err: unknown,
  resource: Resource,
  locator: FieldLocator | undefined,
  doing: string,
): Diagnostic {
  const pe = err instanceof ProviderError ? err : undefined;
  const field = pe?.field;
  const pos =
    field && locator
      ? locator.locate(resource.origin.file, resource.origin.index, fieldPath(field))
      : undefined;
  return {
    severity: 'error',
    code: pe?.code ?? 'SETPOINT_PROVIDER_FAILED',
    summary: redactor.redact(`${doing}: ${(err as Error).message}`),
    file: resource.origin.file,
    line: pos?.line ?? resource.origin.line,
    column: pos?.column ?? resource.origin.column,
    resourceId: resource.id,
    field,
    hint: pe?.hint,
  };
}

export function fieldPath(field: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of field.split('.')) {
    const m = /^(.*?)((\[\d+\])*)$/.exec(part)!;
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** One line for an error in a report: message plus hint. */
export function errorText(err: unknown): string {
  const pe = err instanceof ProviderError ? err : undefined;
  const msg = (err as Error)?.message ?? String(err);
  return redactor.redact(pe?.hint ? `${msg} (hint: ${pe.hint})` : msg);
}
