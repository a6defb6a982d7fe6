/**
 * The worker thread that runs TypeScript manifests (started by
 * typescript.ts). Each request imports one manifest with tsx in a fresh
 * namespace, so edits are seen, and answers with its documents as data or
 * with the error. Running manifests here keeps their module graphs, timers
 * and any `process.exit` away from the engine; the worker is recycled to
 * free what they leave behind.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { require as tsxRequire } from 'tsx/cjs/api';
import { tsImport } from 'tsx/esm/api';
import { collectDocuments, ExportShapeError, type ExportedDocument } from './typescript-exports.js';
import type { CallSite } from './callsite.js';

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

export type WorkerReply = { id: number; ok: true; docs: ExportedDocument[] } | { id: number; ok: false; error: LoadError };

process.setSourceMapsEnabled(true);

parentPort?.on('message', (req: WorkerRequest) => {
  void load(req).then((reply) => parentPort!.postMessage(reply));
});

async function load(req: WorkerRequest): Promise<WorkerReply> {
  try {
    const tsconfig = nearestTsconfig(req.file);
    // tsx reads this for CommonJS; without it, it would use a tsconfig.json in setpoint's cwd.
    if (tsconfig) process.env.TSX_TSCONFIG_PATH = tsconfig;
    else delete process.env.TSX_TSCONFIG_PATH;
    const url = pathToFileURL(req.file).href;
    const namespace = (
      req.format === 'module' ? await tsImport(url, { parentURL: url, tsconfig: tsconfig ?? false }) : requireFresh(req.file, url)
    ) as Record<string, unknown>;
    return { id: req.id, ok: true, docs: await collectDocuments(namespace, req.file) };
  } catch (err) {
    return { id: req.id, ok: false, error: flatten(err) };
  }
}

/**
 * Requires a CommonJS manifest. tsx's namespace does not refresh the files it
 * requires, so the project's own modules this load added to the require
 * cache are dropped afterwards (packages in node_modules stay cached).
 */
function requireFresh(file: string, url: string): unknown {
  const cache = tsxRequire.cache;
  const before = new Set(Object.keys(cache));
  try {
    return tsxRequire(file, url);
  } finally {
    for (const key of Object.keys(cache)) if (!before.has(key) && !key.includes('/node_modules/')) delete cache[key];
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

function nearestTsconfig(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
