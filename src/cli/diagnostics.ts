/** Prints diagnostics together, errors and warnings, with a count. */
import { isAbsolute, relative } from 'node:path';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../manifest/diagnostics.js';
import type { Output } from './output.js';

export function printDiagnostics(o: Output, diagnostics: readonly Diagnostic[]): void {
  for (const d of sortDiagnostics([...diagnostics])) {
    const [first, ...rest] = formatDiagnostic({ ...d, file: d.file && displayPath(d.file) }).split('\n');
    const colored = d.severity === 'error' ? o.colors.red(first) : o.colors.yellow(first);
    o.err([colored, ...rest.map((l) => o.colors.dim(l))].join('\n'));
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (errors + warnings > 0)
    o.err(
      o.colors.bold(
        `${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}`,
      ),
    );
}

/** Paths under the current folder are shown relative to it. */
export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
