/** Audit-mode policy violations on the terminal: listed as such, never errors (deny and warn ones are diagnostics). */
import { formatLocation, type Diagnostic } from '../manifest/diagnostics.js';
import { violationText, type Violation } from '../policy/violation.js';
import { displayPath } from './diagnostics.js';
import type { Output } from './output.js';

export function printAuditViolations(o: Output, violations: readonly Violation[]): void {
  const audit = violations.filter((v) => v.action === 'audit');
  for (const v of audit) {
    const where = formatLocation({
      file: v.file && displayPath(v.file),
      line: v.line,
      column: v.column,
    } satisfies Pick<Diagnostic, 'file' | 'line' | 'column'>);
    o.err(
      o.colors.cyan(
        `audit: ${where ? `${where}: ` : ''}${v.resourceId}: policy ${v.policy} (audit, not enforced): ${violationText(v)}`,
      ),
    );
  }
  if (audit.length > 0)
    o.err(
      o.colors.bold(
        `${audit.length} audit finding${audit.length === 1 ? '' : 's'} (dry-run: recorded, not enforced)`,
      ),
    );
}

/** `2 resources` / `1 policy`. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
