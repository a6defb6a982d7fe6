/**
 * The worker thread that runs TypeScript manifests (started by
 * typescript-host.ts). tsx is registered once per worker; each request
 * imports one manifest and answers with its documents as data, or with the
 * error. Running manifests here keeps their module graphs, timers and any
 * `process.exit` away from the engine.
 *
 * Every load runs the project's own modules afresh, so edits are seen: a
 * resolve hook gives each local file the load's number as a query
 * (`?setpoint-load=N`), a new URL to the module cache, and passes it on to
 * what that file imports by path. Packages (bare specifiers, setpoint's
 * builders among them) keep their URL and load once per worker. CommonJS
 * manifests get the same effect by dropping the project's files from the
 * require cache after each load.
 */
import { createRequire, register as registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { register as registerTsxCommonJs } from 'tsx/cjs/api';
import { register as registerTsx } from 'tsx/esm/api';
import type { CallSite } from './callsite.js';
import { collectDocuments, ExportShapeError, type ExportedDocument } from './typescript-exports.js';

/** What a worker is started with. */
export interface WorkerSetup {
  /** The tsconfig.json tsx applies, or none. */
  tsconfig: string | undefined;
  /** tsx is already registered (the worker itself runs from TypeScript source). */
  tsxRegistered: boolean;
}

export interface WorkerRequest {
  id: number;
  /** Absolute path of the manifest. */
  file: string;
  /** How Node would load the file: `.mts` and `.ts` under `"type": "module"` are ES modules. */
  format: 'module' | 'commonjs';
}

/** A thrown value, flattened for the trip back to the main thread. */
export interface LoadError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  /** Set for a wrong export shape. */
  hint?: string;
  site?: CallSite;
}

export type WorkerReply =
  { id: number; ok: true; docs: ExportedDocument[] } | { id: number; ok: false; error: LoadError };

const LOAD_PARAM = 'setpoint-load';

// Runs in Node's hooks thread, hence plain JavaScript in a data: URL. A package (a bare
// specifier) keeps its URL, and so do its own imports, since their parent carries no tag.
const FRESH_LOCAL_MODULES = `
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const parent = context.parentURL;
  const isPath = /^(\\.{1,2}\\/|\\/|file:)/.test(specifier);
  if (!isPath || !parent || !parent.startsWith('file:') || !result.url.startsWith('file:')) return result;
  const load = new URL(parent).searchParams.get(${JSON.stringify(LOAD_PARAM)});
  if (load === null) return result;
  const url = new URL(result.url);
  url.searchParams.set(${JSON.stringify(LOAD_PARAM)}, load);
  return { ...result, url: url.href };
}`;

if (parentPort) start(workerData as WorkerSetup);

function start(setup: WorkerSetup): void {
  process.setSourceMapsEnabled(true);
  // A manifest's output must never mix into a command's output (say, --json): it goes to stderr.
  process.stdout.write = process.stderr.write.bind(process.stderr);
  if (setup.tsconfig) process.env.TSX_TSCONFIG_PATH = setup.tsconfig;
  if (!setup.tsxRegistered) registerTsx({ tsconfig: setup.tsconfig ?? false });
  registerTsxCommonJs();
  // Registered after tsx, so it runs first and sees the files tsx resolved.
  registerHooks(`data:text/javascript,${encodeURIComponent(FRESH_LOCAL_MODULES)}`);
  let loads = 0;
  parentPort!.on('message', (req: WorkerRequest) => {
    void load(req, ++loads).then((reply) => parentPort!.postMessage(reply));
  });
}

async function load(req: WorkerRequest, n: number): Promise<WorkerReply> {
  try {
    const namespace = (
      req.format === 'module'
        ? await import(`${pathToFileURL(req.file).href}?${LOAD_PARAM}=${n}`)
        : requireFresh(req.file)
    ) as Record<string, unknown>;
    return { id: req.id, ok: true, docs: await collectDocuments(namespace, req.file) };
  } catch (err) {
    return { id: req.id, ok: false, error: flatten(err) };
  }
}

/** Requires a CommonJS manifest, then drops the project's files it loaded from the require cache. */
function requireFresh(file: string): unknown {
  const require = createRequire(file);
  const before = new Set(Object.keys(require.cache));
  try {
    return require(file);
  } finally {
    for (const key of Object.keys(require.cache))
      if (!before.has(key) && !key.includes('/node_modules/')) delete require.cache[key];
  }
}

function flatten(err: unknown): LoadError {
  if (err instanceof ExportShapeError)
    return { name: err.name, message: err.message, hint: err.hint, ...(err.site ? { site: err.site } : {}) };
  if (err instanceof Error) {
    const out: LoadError = { name: err.name, message: err.message };
    if (typeof err.stack === 'string') out.stack = err.stack;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    return out;
  }
  return { name: 'Error', message: `threw ${typeof err === 'string' ? JSON.stringify(err) : String(err)}` };
}
