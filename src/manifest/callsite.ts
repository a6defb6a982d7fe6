/**
 * Where a TypeScript manifest built a document. A builder (src/builders)
 * records the stack at its call under `ORIGIN`; the TypeScript loader reads
 * it back to give the document the line and column of the builder call.
 *
 * The record is a plain `{ stack }` object under a global symbol, so it
 * survives the common case where the manifest's `import 'setpoint'` loads
 * another copy of this package than the one running the loader.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Non-enumerable key of a document's call-site record: `{ stack: string }`. */
export const ORIGIN: unique symbol = Symbol.for('setpoint.origin') as never;

/** One stack frame: a source file and a 1-based line and column. */
export interface CallSite {
  file: string;
  line: number;
  column: number;
}

/** How many frames a builder keeps: enough to get from a helper back to the manifest. */
const FRAMES_KEPT = 30;

/**
 * Records the stack of the call to `callee` on `doc` (non-enumerable, so it
 * never reaches validation or JSON). The stack is formatted lazily by V8, and
 * source-mapped by Node when the TypeScript loader enabled source maps.
 */
export function recordCallSite(doc: object, callee: (...args: never[]) => unknown): void {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = FRAMES_KEPT;
  try {
    Error.captureStackTrace(holder, callee);
  } finally {
    Error.stackTraceLimit = limit;
  }
  Object.defineProperty(doc, ORIGIN, { value: holder, enumerable: false, configurable: true });
}

/** The frames (innermost first) where a builder made `value`; [] when no builder made it. */
export function callSitesOf(value: unknown): CallSite[] {
  if (typeof value !== 'object' || value === null) return [];
  const holder = (value as { [ORIGIN]?: { stack?: unknown } })[ORIGIN];
  return typeof holder?.stack === 'string' ? parseStack(holder.stack) : [];
}

/**
 * Parses V8 stack text into frames with a file. Frames of `node:` internals
 * and of eval'd code are dropped; file URLs become paths and loader query
 * strings (tsx adds `?tsx-namespace=...`) are removed.
 */
export function parseStack(stack: string): CallSite[] {
  const out: CallSite[] = [];
  for (const raw of stack.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('at ')) continue;
    // `at fn (LOCATION)` or `at LOCATION`; a location may contain spaces.
    const m = line.endsWith(')')
      ? /^at .*? \((.+):(\d+):(\d+)\)$/.exec(line)
      : /^at (.+):(\d+):(\d+)$/.exec(line);
    if (!m) continue;
    const file = toPath(m[1]);
    if (file) out.push({ file, line: Number(m[2]), column: Number(m[3]) });
  }
  return out;
}

function toPath(location: string): string | undefined {
  if (location.startsWith('node:') || location.startsWith('data:')) return undefined;
  const bare = location.replace(/\?.*$/, '');
  if (bare.startsWith('file://')) {
    try {
      return fileURLToPath(bare);
    } catch {
      return undefined;
    }
  }
  return bare.startsWith('/') || /^[A-Za-z]:[\\/]/.test(bare) ? bare : undefined;
}

/** A test for "is this path `file`", after resolving symlinks (stack traces show real paths). */
export function isSameFile(file: string): (other: string) => boolean {
  const real = realOrSelf(file);
  const known = new Map<string, boolean>();
  return (other) => {
    let same = known.get(other);
    if (same === undefined) known.set(other, (same = other === file || realOrSelf(other) === real));
    return same;
  };
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
