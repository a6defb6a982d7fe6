/**
 * A small JSON path: `$` then `.name`, `["name"]` or `[index]` steps
 * (`status.ok` without the `$.` works too). Enough to point at one value of
 * a health endpoint's answer; no filters or wildcards.
 */

export type PathStep = string | number;

/** The steps of `path`, or an error sentence. */
export function parseJsonPath(path: string): { steps: PathStep[]; error?: string } {
  const steps: PathStep[] = [];
  let rest = path.startsWith('$') ? path.slice(1) : path.startsWith('[') ? path : `.${path}`;
  while (rest.length > 0) {
    const m =
      /^\.([A-Za-z_$][\w$-]*)/.exec(rest) ?? /^\[(\d+)\]/.exec(rest) ?? /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest);
    if (!m)
      return { steps, error: `a JSON path such as "$.status" or "$.items[0].ok" (cannot read "${rest}")` };
    steps.push(m[0].startsWith('[') && /^\d+$/.test(m[1]) ? Number(m[1]) : m[1].replace(/\\(.)/g, '$1'));
    rest = rest.slice(m[0].length);
  }
  return { steps };
}

/** The value at `path` in `data`; `found` is false when a step is missing. */
export function readJsonPath(data: unknown, path: string): { found: boolean; value?: unknown } {
  let at: unknown = data;
  for (const step of parseJsonPath(path).steps) {
    if (
      typeof step === 'number'
        ? !Array.isArray(at)
        : at === null || typeof at !== 'object' || Array.isArray(at)
    )
      return { found: false };
    const next = (at as Record<string | number, unknown>)[step];
    if (next === undefined) return { found: false };
    at = next;
  }
  return { found: true, value: at };
}
