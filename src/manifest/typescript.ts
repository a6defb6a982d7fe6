/**
 * TypeScript manifests: `.ts`/`.mts` modules that export resources, usually
 * made with the typed builders (`import { file } from 'setpoint'`).
 *
 * A manifest is code, so it runs in a worker thread (typescript-worker.ts,
 * managed by typescript-host.ts) with tsx (esbuild) as the loader: its
 * module graph, timers and any
 * `process.exit` stay out of the engine, a manifest that never finishes is
 * stopped after a timeout, and the worker is recycled after a number of
 * loads so `serve` does not accumulate module graphs. It still runs with
 * setpoint's permissions: only load manifests you would run.
 *
 * Each document comes back as a RawDocument whose line and column are those
 * of the builder call that made it (see callsite.ts); documents made
 * otherwise get line 1. Validation then treats them like YAML documents:
 *
 *     if (isTypeScriptManifest(file))
 *       for (const doc of await loadTypeScriptManifestOrDiagnose(file, diags)) validateOne(doc, options, diags);
 *
 * What a module yields depends on more than its bytes (its imports, the
 * environment, the clock), so its result must not be cached by content.
 */
import { SetpointError } from '../errors.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSameFile, parseStack } from './callsite.js';
import type { Diagnostic, Diagnostics } from './diagnostics.js';
import { keepWithinLimits, type RawDocument } from './parse.js';
import { LoaderHost } from './typescript-host.js';
import type { LoadError } from './typescript-worker.js';

const host = new LoaderHost();

export interface TypeScriptLoadOptions {
  /** How long one manifest may take to load (including an async default export). Defaults to 30000. */
  timeoutMs?: number;
}

export type TypeScriptManifestCode =
  'SETPOINT_MANIFEST_UNREADABLE' | 'SETPOINT_MANIFEST_SYNTAX' | 'SETPOINT_MANIFEST_LOAD_FAILED';

/** Why a TypeScript manifest did not load; `toDiagnostic()` gives the form validation reports. */
export class TypeScriptManifestError extends SetpointError {
  override readonly name = 'TypeScriptManifestError';
  declare readonly code: TypeScriptManifestCode;
  declare readonly hint: string;
  constructor(
    code: TypeScriptManifestCode,
    readonly file: string,
    summary: string,
    hint: string,
    readonly line?: number,
    readonly column?: number,
    readonly detail?: string,
  ) {
    super(summary, code, { hint });
  }

  toDiagnostic(): Diagnostic {
    return {
      severity: 'error',
      code: this.code,
      summary: this.message,
      file: this.file,
      line: this.line,
      column: this.column,
      detail: this.detail,
      hint: this.hint,
    };
  }
}

/**
 * Loads a TypeScript manifest (`.ts` or `.mts`) and returns its documents,
 * unvalidated. Every document is plain data; `file` is the manifest and
 * `index` its position among the manifest's documents.
 *
 * Throws a TypeScriptManifestError when the file cannot be read, does not
 * compile, throws while loading, never finishes, or exports something that
 * is not resources; nothing of such a file is returned.
 */
export async function loadTypeScriptManifest(
  file: string,
  options: TypeScriptLoadOptions = {},
): Promise<RawDocument[]> {
  const abs = resolve(file);
  if (!existsSync(abs))
    throw new TypeScriptManifestError(
      'SETPOINT_MANIFEST_UNREADABLE',
      file,
      'cannot read manifest: no such file',
      'check that the file exists and is readable',
    );
  const reply = await host.load({ file: abs, format: moduleFormat(abs) }, options.timeoutMs ?? 30_000);
  if (!reply.ok) throw toManifestError(file, abs, reply.error);
  return reply.docs.map((d, index) => ({
    file,
    index,
    line: d.line ?? 1,
    column: d.column ?? 1,
    value: d.value,
  }));
}

/** Like loadTypeScriptManifest, but reports problems to `diags` (returning []) and never throws. */
export async function loadTypeScriptManifestOrDiagnose(
  file: string,
  diags: Diagnostics,
  options: TypeScriptLoadOptions = {},
): Promise<RawDocument[]> {
  try {
    return keepWithinLimits(await loadTypeScriptManifest(file, options), diags);
  } catch (err) {
    if (err instanceof TypeScriptManifestError) diags.add(err.toDiagnostic());
    else
      diags.error({
        code: 'SETPOINT_MANIFEST_LOAD_FAILED',
        summary: `cannot load TypeScript manifest: ${(err as Error)?.message ?? String(err)}`,
        file,
        hint: 'this is a bug in setpoint if the manifest loads with `npx tsx FILE`',
      });
    return [];
  }
}

/** Stops the loader's worker now (it otherwise stops itself when idle). For tests and shutdown. */
export async function closeTypeScriptLoader(): Promise<void> {
  await host.close();
}

/** `.mts` is an ES module; `.ts` is one when the nearest package.json says `"type": "module"`. */
export function moduleFormat(file: string): 'module' | 'commonjs' {
  if (file.endsWith('.mts')) return 'module';
  if (file.endsWith('.cts')) return 'commonjs';
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    let text: string | undefined;
    try {
      text = readFileSync(join(dir, 'package.json'), 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      try {
        return (JSON.parse(text) as { type?: unknown }).type === 'module' ? 'module' : 'commonjs';
      } catch {
        return 'commonjs';
      }
    }
    if (dirname(dir) === dir) return 'commonjs';
  }
}

/** Turns what the worker caught into an error naming the line where it happened. */
export function toManifestError(file: string, abs: string, e: LoadError): TypeScriptManifestError {
  const source = readSource(abs);
  if (e.name === 'ExportShapeError')
    return new TypeScriptManifestError(
      'SETPOINT_MANIFEST_LOAD_FAILED',
      file,
      `wrong exports: ${e.message}`,
      e.hint ?? '',
      e.site?.line ?? lineOf(source, /^\s*export\s+default\b/m) ?? 1,
      e.site?.column,
    );
  // esbuild: "Transform failed with 1 error:\n/path/x.ts:3:32: ERROR: Expected "}" but found "]"".
  if (e.name === 'TransformError' || /Transform failed/.test(e.message)) {
    const m = /:(\d+):(\d+): ERROR: (.*)/.exec(e.message);
    return new TypeScriptManifestError(
      'SETPOINT_MANIFEST_SYNTAX',
      file,
      `TypeScript syntax error: ${m ? m[3] : e.message}`,
      'fix the syntax; nothing from this file was used',
      m ? Number(m[1]) : undefined,
      m ? Number(m[2]) : undefined,
    );
  }
  if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') {
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(e.message)?.[1];
    const bare = missing !== undefined && !missing.startsWith('.') && !missing.startsWith('/');
    const name = bare ? packageName(missing) : undefined;
    const specifier = name ?? (missing ? relativeSpecifier(missing, abs) : undefined);
    return new TypeScriptManifestError(
      'SETPOINT_MANIFEST_LOAD_FAILED',
      file,
      `cannot load TypeScript manifest: ${firstLine(e.message)}`,
      name === 'setpoint'
        ? 'install setpoint where the manifest is (npm install --save-dev setpoint) so `import ... from "setpoint"` resolves'
        : name
          ? `install ${name} where the manifest is (npm install ${name})`
          : 'check the import path (relative imports need the file extension, e.g. ./helpers.js for helpers.ts)',
      specifier ? importLine(source, specifier) : undefined,
    );
  }
  if (e.name === 'LoaderTimeout' || e.name === 'LoaderExit')
    return new TypeScriptManifestError('SETPOINT_MANIFEST_LOAD_FAILED', file, e.message, e.hint ?? '');
  const inManifest = isSameFile(abs);
  const site = parseStack(e.stack ?? '').find((s) => inManifest(s.file));
  return new TypeScriptManifestError(
    'SETPOINT_MANIFEST_LOAD_FAILED',
    file,
    `the manifest threw while loading: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${firstLine(e.message)}`,
    'fix the error; nothing from this file was used',
    site?.line,
    site?.column,
    stackDetail(e.stack),
  );
}

function readSource(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function lineOf(source: string, pattern: RegExp): number | undefined {
  const m = pattern.exec(source);
  return m ? source.slice(0, m.index + m[0].length - m[0].trimStart().length).split('\n').length : undefined;
}

function importLine(source: string, specifier: string): number | undefined {
  const quoted = new RegExp(`['"]${specifier.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:/[^'"]*)?['"]`);
  return lineOf(source, quoted);
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The import text for a missing file: `./helpers.js` for /dir/helpers.js next to the manifest. */
function relativeSpecifier(missing: string, manifest: string): string {
  const path = missing.startsWith('file://') ? fileURLToPath(missing) : missing;
  return dirname(path) === dirname(manifest) ? `./${path.slice(dirname(manifest).length + 1)}` : path;
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

/** The manifest's own frames of a stack, for the diagnostic's detail. */
function stackDetail(stack: string | undefined): string | undefined {
  const frames = parseStack(stack ?? '').filter((s) => !s.file.includes('/node_modules/'));
  if (frames.length === 0) return undefined;
  return frames
    .slice(0, 5)
    .map((s) => `at ${s.file}:${s.line}:${s.column}`)
    .join('\n');
}
