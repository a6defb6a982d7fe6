/**
 * A change is one field that differs between desired and actual state.
 * Providers produce them in `diff` (pure); plans, drift reports and events carry them.
 */

export interface Change {
  /** Field path, e.g. `spec.mode`. */
  path: string;
  /** Actual value (absent when the field does not exist yet). Never set when sensitive. */
  old?: unknown;
  /** Desired value. Never set when sensitive. */
  new?: unknown;
  /** The value is a secret: only the fact that it changed is shown. */
  sensitive?: boolean;
  /**
   * How to show a content change: `text` renders a unified diff of old/new,
   * `binary` and `large` a summary (sizes and digests in old/new).
   */
  format?: 'text' | 'binary' | 'large';
  /** The change cannot be made in place: the resource is replaced. */
  forcesReplace?: boolean;
}

/** Compares scalar fields that are set in the desired object. */
export function compareScalars(
  prefix: string,
  desired: Record<string, unknown>,
  actual: Record<string, unknown> | undefined,
  fields: readonly string[],
): Change[] {
  const out: Change[] = [];
  for (const f of fields) {
    const want = desired[f];
    if (want === undefined) continue;
    const have = actual?.[f];
    if (have !== want) out.push({ path: `${prefix}${f}`, old: have, new: want });
  }
  return out;
}

/** Drops changes under any of the ignored paths (`lifecycle.ignoreChanges`). */
export function withoutIgnored(changes: Change[], ignored: readonly string[] | undefined): Change[] {
  if (!ignored || ignored.length === 0) return changes;
  return changes.filter((c) => !ignored.some((p) => c.path === p || c.path.startsWith(p + '.')));
}
