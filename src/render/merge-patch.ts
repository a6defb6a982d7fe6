/**
 * JSON merge patch (RFC 7386): mappings merge key by key, `null` deletes a
 * key, anything else — lists included — replaces the target value whole.
 */

export type FieldPath = ReadonlyArray<string | number>;

/** Told where the result's values come from the patch (`set`) or were removed (`delete`). */
export type PatchListener = (path: FieldPath, op: 'set' | 'delete') => void;

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies `patch` to `target` and returns the result; neither input is
 * modified, and parts the patch does not touch are shared, not copied.
 * `onChange` hears of each path whose whole value now comes from the patch.
 */
export function mergePatch(
  target: unknown,
  patch: unknown,
  onChange?: PatchListener,
  path: FieldPath = [],
): unknown {
  if (!isMapping(patch)) {
    onChange?.(path, 'set');
    return patch;
  }
  if (!isMapping(target)) {
    // A mapping over a non-mapping starts from {}: all of it is the patch's.
    onChange?.(path, 'set');
    return withoutNulls(patch);
  }
  const result: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      if (Object.hasOwn(result, key)) {
        delete result[key];
        onChange?.([...path, key], 'delete');
      }
    } else {
      setOwn(
        result,
        key,
        mergePatch(Object.hasOwn(target, key) ? target[key] : undefined, value, onChange, [...path, key]),
      );
    }
  }
  return result;
}

/** A patch applied to nothing: its nulls delete nothing and disappear (RFC 7386 section 2). */
function withoutNulls(patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) continue;
    setOwn(out, key, isMapping(value) ? withoutNulls(value) : value);
  }
  return out;
}

/** Plain assignment, except that a key named `__proto__` stays a key and never swaps the prototype. */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
