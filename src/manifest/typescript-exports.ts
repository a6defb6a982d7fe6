/**
 * What a TypeScript manifest module exports, turned into documents with the
 * line and column of the builder call that made each one. Runs inside the
 * loader's worker, on the module namespace; pure apart from realpath.
 *
 * Accepted shapes:
 *  - `export default [...]`: an array of documents (nested arrays are
 *    flattened; null, undefined and false items are skipped, so
 *    `[a, enabled && b]` works);
 *  - `export default doc`: one document;
 *  - `export default () => [...]` or an async function: called without
 *    arguments, its result is any of the above;
 *  - without a default export, every named export that is a document or an
 *    array of documents; other named exports (helpers, constants) are ignored,
 *    so a helper module beside the manifests declares nothing.
 *
 * The same document object exported twice (say as `motd` and inside `all`)
 * counts once.
 */
import { SetpointError } from '../errors.js';
import { callSitesOf, isSameFile, type CallSite } from './callsite.js';

/** A document found in the exports, as plain data, with where it was built. */
export interface ExportedDocument {
  value: unknown;
  /** 1-based; absent when no builder call in the manifest file made it. */
  line?: number;
  column?: number;
}

/** The module's exports have the wrong shape; the message says what was found. */
export class ExportShapeError extends SetpointError {
  override readonly name = 'ExportShapeError';
  declare readonly hint: string;
  constructor(
    message: string,
    hint: string,
    /** Where the offending document was built, when known. */
    readonly site?: CallSite,
  ) {
    super(message, 'SETPOINT_MANIFEST_INVALID', { hint });
  }
}

const SHAPES_HINT =
  'export default an array of resources (or a function returning one), or export resources by name';

/** Collects the documents of a manifest module's namespace (ESM, or CommonJS `module.exports`). */
export async function collectDocuments(
  namespace: Record<string, unknown>,
  file: string,
): Promise<ExportedDocument[]> {
  const ns = unwrapCommonJs(namespace);
  let found: unknown[];
  if (ns.default !== undefined) {
    let value: unknown = ns.default;
    if (typeof value === 'function') value = await (value as () => unknown)();
    if (Array.isArray(value)) found = flatten(value);
    else if (isDocumentLike(value)) found = [value];
    else
      throw new ExportShapeError(
        `the default export is ${describe(value)}, not an array of resources`,
        typeof ns.default === 'function'
          ? 'the default export function must return an array of resources'
          : SHAPES_HINT,
      );
  } else {
    found = [];
    for (const value of Object.values(ns)) {
      if (isDocumentLike(value)) found.push(value);
      else if (Array.isArray(value) && value.some(isDocumentLike)) found.push(...flatten(value));
    }
  }
  const sameFile = isSameFile(file);
  const seen = new Set<unknown>();
  const out: ExportedDocument[] = [];
  found.forEach((value, index) => {
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return;
      seen.add(value);
    }
    const site = pickCallSite(callSitesOf(value), sameFile);
    const bad = findUnclonable(value);
    if (bad)
      throw new ExportShapeError(
        `${nameOf(value, index)} has a ${bad.type} at ${bad.path || 'its root'}`,
        'resources are plain data: call the function, or remove the field',
        site,
      );
    out.push(site ? { value, line: site.line, column: site.column } : { value });
  });
  return out;
}

/**
 * The frame that says where a document was built: the innermost frame in the
 * manifest file itself (the builder call, or the manifest's call of a helper
 * that called the builder). Frames elsewhere are not used: a document's file
 * decides how its relative paths resolve, so it stays the manifest.
 */
export function pickCallSite(
  sites: readonly CallSite[],
  isManifest: (file: string) => boolean,
): CallSite | undefined {
  return sites.find((s) => isManifest(s.file));
}

/** CommonJS manifests compiled from ESM syntax export `{ __esModule, default, ...named }`. */
function unwrapCommonJs(ns: Record<string, unknown>): Record<string, unknown> {
  const inner = ns.default as Record<string, unknown> | undefined;
  if (inner && typeof inner === 'object' && (inner as { __esModule?: unknown }).__esModule === true)
    return inner;
  if ((ns as { __esModule?: unknown }).__esModule === true) {
    const { __esModule: _, ...rest } = ns;
    return rest;
  }
  return ns;
}

function isDocumentLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { kind?: unknown }).kind === 'string'
  );
}

function flatten(items: readonly unknown[], out: unknown[] = []): unknown[] {
  for (const item of items) {
    if (Array.isArray(item)) flatten(item, out);
    else if (item !== null && item !== undefined && item !== false) out.push(item);
  }
  return out;
}

/** Documents cross a thread boundary as data: functions and symbols cannot. */
function findUnclonable(
  value: unknown,
  path = '',
  seen = new Set<object>(),
): { type: string; path: string } | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') return { type: typeof value, path };
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [`${path}[${i}]`, v])
    : Object.entries(value).map(([k, v]) => [path ? `${path}.${k}` : k, v]);
  for (const [p, v] of entries) {
    const bad = findUnclonable(v, p, seen);
    if (bad) return bad;
  }
  return undefined;
}

/** `File/motd` when the document says so, else its position. */
function nameOf(value: unknown, index: number): string {
  const v = value as { kind?: unknown; metadata?: { name?: unknown } } | null;
  return typeof v?.kind === 'string' && typeof v.metadata?.name === 'string'
    ? `${v.kind}/${v.metadata.name}`
    : `resource #${index + 1}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object without a kind';
  return `a ${typeof value}`;
}
