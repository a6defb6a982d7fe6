/**
 * Reads manifest files into raw documents with their location.
 *
 * YAML goes through js-yaml (about 7x faster than `yaml` on a 10,000-document
 * file, which matters for start-up); its listener gives each document's start.
 * Exact positions of fields inside a document are looked up lazily with the
 * `yaml` library only when a diagnostic needs one (see locate.ts).
 */
import jsyaml from 'js-yaml';
import { Diagnostics } from './diagnostics.js';
import { describeShapeProblem, documentShapeProblem, MAX_DOCUMENT_DEPTH } from './limits.js';
import { decodeManifest, readManifestBytes } from './read.js';

/** One document of a manifest file, before validation. */
export interface RawDocument {
  file: string;
  /** Index of the document within its file (0-based), used to locate fields later. */
  index: number;
  /** 1-based line and column where the document's root node starts. */
  line: number;
  column: number;
  value: unknown;
}

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

/** YAML, JSON and TypeScript manifests (see isTypeScriptManifest). */
export function isManifestFile(file: string): boolean {
  return MANIFEST_EXTENSIONS.some((ext) => file.endsWith(ext)) || isTypeScriptManifest(file);
}

/**
 * `.ts` and `.mts` modules, loaded by loadTypeScriptManifest (typescript.ts)
 * rather than parsed as text; declaration files and tests (`.d.ts`,
 * `*.test.ts`, `*.spec.ts`) are not manifests.
 */
export function isTypeScriptManifest(file: string): boolean {
  return /\.m?ts$/.test(file) && !/\.d\.m?ts$/.test(file) && !/\.(test|spec)\.m?ts$/.test(file);
}

/** Parses one file's text; problems go to `diags`, never thrown. */
export function parseManifestText(file: string, text: string, diags: Diagnostics): RawDocument[] {
  if (isTypeScriptManifest(file)) {
    // A module must run to yield documents, which takes the asynchronous loader.
    diags.error({
      code: 'SETPOINT_MANIFEST_UNSUPPORTED',
      summary: 'TypeScript manifests are not loaded by this command yet',
      file,
      hint: 'load it with loadTypeScriptManifest(); until the command does, use a YAML or JSON manifest',
    });
    return [];
  }
  return file.endsWith('.json') ? parseJson(file, text, diags) : parseYaml(file, text, diags);
}

/** Reads, decodes (UTF-8 only) and parses one file; problems go to `diags`. */
export function readManifestFile(file: string, diags: Diagnostics): RawDocument[] {
  const bytes = readManifestBytes(file, diags);
  const text = bytes && decodeManifest(file, bytes, diags);
  return text === undefined ? [] : parseManifestText(file, text, diags);
}

/** Whether a parser failed by running out of stack (input nested far too deep). */
function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

function tooDeep(file: string, diags: Diagnostics): RawDocument[] {
  diags.error({
    code: 'SETPOINT_MANIFEST_SYNTAX',
    summary: `the manifest is nested too deeply to parse (the limit is ${MAX_DOCUMENT_DEPTH} levels)`,
    file,
    hint: 'a resource is a few levels of mappings and lists; check for runaway indentation or brackets',
  });
  return [];
}

/** Keeps the documents whose expanded size and depth are within the limits (limits.ts). */
export function keepWithinLimits(docs: RawDocument[], diags: Diagnostics): RawDocument[] {
  return docs.filter((doc) => {
    const problem = documentShapeProblem(doc.value);
    if (!problem) return true;
    diags.error({
      code: 'SETPOINT_MANIFEST_TOO_LARGE',
      ...describeShapeProblem(problem),
      file: doc.file,
      line: doc.line,
      column: doc.column,
    });
    return false;
  });
}

function parseYaml(file: string, text: string, diags: Diagnostics): RawDocument[] {
  const starts: Array<{ line: number; column: number }> = [];
  let values: unknown[];
  try {
    values = jsyaml.loadAll(text, undefined, {
      filename: file,
      schema: jsyaml.CORE_SCHEMA,
      listener(event, state) {
        // depth 1 = the root node of a document (depth is incremented before 'open').
        if (event === 'open' && (state as unknown as { depth: number }).depth === 1) {
          starts.push({ line: state.line + 1, column: state.position - state.lineStart + 1 });
        }
      },
    });
  } catch (err) {
    if (isStackOverflow(err)) return tooDeep(file, diags);
    const e = err as jsyaml.YAMLException;
    diags.error({
      code: 'SETPOINT_MANIFEST_SYNTAX',
      summary: `YAML syntax error: ${e.reason ?? e.message}`,
      file,
      line: e.mark ? e.mark.line + 1 : undefined,
      column: e.mark ? e.mark.column + 1 : undefined,
      detail: e.mark?.snippet ?? undefined,
      hint: 'fix the YAML syntax; nothing from this file was used',
    });
    return [];
  }
  const docs: RawDocument[] = [];
  values.forEach((value, index) => {
    // An empty document (e.g. a trailing `---`) declares nothing.
    if (value === null || value === undefined) return;
    const start = starts[index] ?? { line: 1, column: 1 };
    docs.push({ file, index, line: start.line, column: start.column, value });
  });
  // js-yaml bounds the depth (maxDepth 100); only aliases (`*name`) can make a document bigger than its text.
  return text.includes('*') ? keepWithinLimits(docs, diags) : docs;
}

function parseJson(file: string, text: string, diags: Diagnostics): RawDocument[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (isStackOverflow(err)) return tooDeep(file, diags);
    const message = (err as Error).message;
    const pos = /position (\d+)/.exec(message);
    const at = pos ? lineColumnAt(text, Number(pos[1])) : undefined;
    diags.error({
      code: 'SETPOINT_MANIFEST_SYNTAX',
      summary: `JSON syntax error: ${message}`,
      file,
      line: at?.line,
      column: at?.column,
      hint: 'fix the JSON syntax; nothing from this file was used',
    });
    return [];
  }
  // A JSON file holds one resource or a list of them.
  if (!Array.isArray(value)) {
    const at = lineColumnAt(text, text.length - text.trimStart().length);
    return keepWithinLimits([{ file, index: 0, line: at.line, column: at.column, value }], diags);
  }
  const starts = arrayItemStarts(text);
  return keepWithinLimits(
    value.map((item: unknown, index) => ({
      file,
      index,
      ...(starts[index] ?? { line: 1, column: 1 }),
      value: item,
    })),
    diags,
  );
}

/** Line and column of each item of the top-level array of valid JSON text, in one pass. */
function arrayItemStarts(text: string): Array<{ line: number; column: number }> {
  const out: Array<{ line: number; column: number }> = [];
  let depth = 0;
  let inString = false;
  let expectItem = false;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = i + 1;
      continue;
    }
    if (inString) {
      if (c === 92 /* backslash: skip the escaped character */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) continue;
    if (expectItem && c !== 93 /* ] */) out.push({ line, column: i - lineStart + 1 });
    expectItem = false;
    if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      // The top-level array's own bracket: its first item comes next.
      if (++depth === 1) expectItem = true;
    } else if (c === 93 || c === 125 /* } */) depth--;
    else if (c === 44 /* , */ && depth === 1) expectItem = true;
  }
  return out;
}

export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
