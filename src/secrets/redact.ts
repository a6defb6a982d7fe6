/**
 * The redaction layer at the output boundary: every resolved secret value is
 * registered here, and everything that leaves the process (terminal, logs,
 * events, store, audit) passes through `redact`, which catches a secret that a
 * provider echoes back (e.g. in command output).
 */

export const REDACTED = '(sensitive)';

export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  /**
   * Registers a secret value; values shorter than 4 characters are too common
   * to scrub safely. Each form is also registered as it reads inside a JSON
   * string (quotes, backslashes, tabs escaped), so text redacted after
   * serializing (a --json document, an HTTP body) is scrubbed too.
   */
  add(value: string): void {
    const lines = value.split(/\r?\n/).filter((l) => l.trim().length >= 4);
    const forms = value.trim().length >= 4 ? [value, value.trim(), ...lines] : lines;
    const candidates = forms.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
    let changed = false;
    for (const v of candidates) {
      if (!this.values.has(v)) {
        this.values.add(v);
        changed = true;
      }
    }
    if (changed) this.pattern = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  redact(text: string): string {
    if (this.values.size === 0 || text.length === 0) return text;
    if (!this.pattern) {
      // Longest first, so a whole value is replaced before one of its lines.
      const alternatives = [...this.values].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.pattern = new RegExp(alternatives.join('|'), 'g');
    }
    return text.replace(this.pattern, REDACTED);
  }

  /** Redacts every string inside a JSON-like value. */
  redactValue<T>(value: T): T {
    if (this.values.size === 0) return value;
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v));
    if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.walk(v);
      return out;
    }
    return value;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The process-wide redactor: secrets resolved anywhere are scrubbed everywhere. */
export const redactor = new Redactor();
