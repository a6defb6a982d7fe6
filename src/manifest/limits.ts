/**
 * Bounds on what a manifest may make setpoint do, so hostile or broken input
 * gets a clear error instead of exhausting memory, time or the stack:
 * the size of a file, and the size and depth of a document once YAML
 * aliases are expanded (a "billion laughs" file of a few hundred bytes
 * expands to 10^9 nodes when validated, digested or shown).
 */

/** Largest manifest file read. A file is read whole, and parsed YAML takes several times its size. */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

/** Most values (mappings, lists, scalars) one document may hold with aliases expanded. */
export const MAX_DOCUMENT_NODES = 1_000_000;

/** Deepest nesting of mappings and lists in a document; real manifests stay below 20. */
export const MAX_DOCUMENT_DEPTH = 100;

export type ShapeProblem =
  { reason: 'too-deep'; depth: number } | { reason: 'too-big'; nodes: number } | { reason: 'cycle' };

/**
 * Checks a parsed document's expanded size and depth without expanding it:
 * a value reached through several aliases is one object, measured once
 * (memoised), so this is linear in the document as written.
 */
export function documentShapeProblem(value: unknown): ShapeProblem | undefined {
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  let problem: ShapeProblem | undefined;
  const size = (v: unknown, depth: number): number => {
    if (problem) return 0;
    if (v === null || typeof v !== 'object') return 1;
    if (depth > MAX_DOCUMENT_DEPTH) {
      problem = { reason: 'too-deep', depth };
      return 0;
    }
    const known = sizes.get(v);
    if (known !== undefined) return known;
    if (open.has(v)) {
      problem = { reason: 'cycle' };
      return 0;
    }
    open.add(v);
    let total = 1;
    for (const child of Array.isArray(v) ? v : Object.values(v)) total += size(child, depth + 1);
    open.delete(v);
    sizes.set(v, total);
    return total;
  };
  const nodes = size(value, 1);
  if (problem) return problem;
  if (nodes > MAX_DOCUMENT_NODES) return { reason: 'too-big', nodes };
  return undefined;
}

/** One-line explanation and hint for a shape problem. */
export function describeShapeProblem(p: ShapeProblem): { summary: string; hint: string } {
  switch (p.reason) {
    case 'too-deep':
      return {
        summary: `the document is nested more than ${MAX_DOCUMENT_DEPTH} levels deep`,
        hint: 'a resource is a few levels of mappings and lists; check for runaway indentation or brackets',
      };
    case 'too-big':
      return {
        summary: `the document expands to ${p.nodes > 1e12 ? 'more than 10^12' : p.nodes.toLocaleString('en-US')} values, more than the limit of ${MAX_DOCUMENT_NODES.toLocaleString('en-US')}`,
        hint: 'YAML aliases (*name) repeat what their anchor holds; nested aliases multiply: use fewer, or split the document',
      };
    case 'cycle':
      return {
        summary: 'the document contains itself (an alias inside its own anchor)',
        hint: 'an alias (*name) cannot refer to a node that contains it',
      };
  }
}
