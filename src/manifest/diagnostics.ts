/**
 * Diagnostics: problems found while loading, validating or planning are
 * collected and shown together, never thrown one at a time (terraform tfdiags).
 */

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine code, e.g. SETPOINT_MANIFEST_INVALID. */
  code: string;
  /** One line: what is wrong. */
  summary: string;
  file?: string;
  line?: number;
  column?: number;
  resourceId?: string;
  /** Field path inside the resource, e.g. `spec.mode`. */
  field?: string;
  expected?: string;
  found?: string;
  hint?: string;
  /** Extra lines (e.g. the other location of a duplicate). */
  detail?: string;
}

export class Diagnostics {
  readonly items: Diagnostic[] = [];

  add(d: Diagnostic): void {
    this.items.push(d);
  }

  error(d: Omit<Diagnostic, 'severity'>): void {
    this.items.push({ severity: 'error', ...d });
  }

  warning(d: Omit<Diagnostic, 'severity'>): void {
    this.items.push({ severity: 'warning', ...d });
  }

  addAll(ds: Iterable<Diagnostic>): void {
    for (const d of ds) this.items.push(d);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }

  get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'warning');
  }
}

/** `file:line:col` or whatever part of it is known. */
export function formatLocation(d: Pick<Diagnostic, 'file' | 'line' | 'column'>): string {
  if (!d.file) return '';
  if (d.line === undefined) return d.file;
  return d.column === undefined ? `${d.file}:${d.line}` : `${d.file}:${d.line}:${d.column}`;
}

/** Sorts by file, then line, so a run's problems read top to bottom. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

/** Plain-text rendering, one problem per block. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = formatLocation(d);
  const head = [where, d.resourceId, d.field].filter(Boolean).join(': ');
  const lines = [`${d.severity}: ${head ? head + ': ' : ''}${d.summary}`];
  if (d.expected !== undefined || d.found !== undefined) {
    const parts: string[] = [];
    if (d.expected !== undefined) parts.push(`expected ${d.expected}`);
    if (d.found !== undefined) parts.push(`found ${d.found}`);
    lines.push(`  ${parts.join(', ')}`);
  }
  if (d.detail) lines.push(...d.detail.split('\n').map((l) => `  ${l}`));
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join('\n');
}

/** Describes a found value briefly for "found ..." texts, never dumping big values. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${String(value)} (${typeof value})`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}
