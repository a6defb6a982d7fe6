/**
 * Overlays: documents applied in order over the base documents of an
 * environment. Each overlay document is one of
 *
 *     patch: File/motd            # JSON merge patch (RFC 7386) of one resource
 *     with: { spec: { content: "hello, prod\n", mode: null } }
 *
 *     delete: File/debug          # removes one resource
 *
 *     kind: File                  # a plain resource: an addition
 *     metadata: { name: banner }
 *     spec: { ... }
 *
 * Targets are ids as in dependsOn (`Kind/name` is the default namespace); a
 * later overlay document sees what earlier ones did. A patched document keeps
 * its base document's location; the fields an overlay wrote point at the
 * overlay (through a RenderedLocator). Nothing here validates kinds: that is
 * the next stage's job, on the rendered documents.
 */
import type * as z from 'zod';
import {
  closest,
  describeValue,
  Diagnostics,
  FieldLocator,
  formatPath,
  issuesToProblems,
  parseKey,
  type Diagnostic,
  type RawDocument,
} from '../manifest/index.js';
import { declaredId, isMapping, targetId } from './ids.js';
import { isPrefix, RenderedLocator, type MovedField } from './locate.js';
import { mergePatch } from './merge-patch.js';
import { DeleteDocumentSchema, PatchDocumentSchema } from './schema.js';
import type { FactSource } from '../facts/index.js';
import { interpolateDocuments, type Variables } from './variables.js';

/** Where a document is written. */
export interface DocumentRef {
  file: string;
  index: number;
  line: number;
  column: number;
}

/** A rendered document: a base document (patched or not) or one an overlay added. */
export interface RenderedDocument extends RawDocument {
  /** The overlay documents that patched it, in order. */
  patchedBy?: DocumentRef[];
}

export interface OverlayOptions {
  /** Overlay documents, in the order they apply. Defaults to none. */
  overlays?: readonly RawDocument[];
  /** Namespace of ids that name none. Defaults to "default". */
  defaultNamespace?: string;
  /**
   * Finds positions for diagnostics. A RenderedLocator also learns which
   * fields of patched documents the overlays wrote. Defaults to a new RenderedLocator.
   */
  locator?: FieldLocator;
}

export interface RenderOptions extends OverlayOptions {
  variables: Variables;
  /** Host facts for `${facts.*}`. Defaults to none. */
  facts?: FactSource;
}

/**
 * The final documents of an environment: variables replaced in the base and
 * in the overlays (each at its own exact location), then the overlays
 * applied. Problems go to `diags`; the inputs are never modified.
 */
export function renderDocuments(
  base: readonly RawDocument[],
  options: RenderOptions,
  diags: Diagnostics,
): RenderedDocument[] {
  const locator = options.locator ?? new RenderedLocator();
  const interpolate = {
    variables: options.variables,
    facts: options.facts,
    locator,
    defaultNamespace: options.defaultNamespace,
  };
  const docs = interpolateDocuments(base, interpolate, diags);
  const overlays = interpolateDocuments(options.overlays ?? [], interpolate, diags);
  return applyOverlays(docs, { ...options, overlays, locator }, diags);
}

interface Entry {
  doc: RenderedDocument;
  id?: string;
  moved: MovedField[];
  deleted?: boolean;
}

/** Applies overlay documents, in order, to `base`. */
export function applyOverlays(
  base: readonly RawDocument[],
  options: OverlayOptions,
  diags: Diagnostics,
): RenderedDocument[] {
  const ns = options.defaultNamespace;
  const locator = options.locator ?? new RenderedLocator();
  const entries: Entry[] = base.map((doc) => ({ doc, id: declaredId(doc.value, ns), moved: [] }));
  const byId = new Map<string, Entry>();
  for (const e of entries) if (e.id && !byId.has(e.id)) byId.set(e.id, e);
  const deletedBy = new Map<string, RawDocument>();
  const ctx: Context = { byId, deletedBy, locator, diags, ns };

  for (const overlay of options.overlays ?? []) {
    const value = overlay.value;
    if (isMapping(value) && 'patch' in value) patch(overlay, ctx);
    else if (isMapping(value) && 'delete' in value) remove(overlay, ctx);
    else if (isMapping(value) && 'kind' in value) {
      const entry = add(overlay, ctx);
      if (entry) entries.push(entry);
    } else
      diags.error({
        code: 'SETPOINT_OVERLAY_INVALID',
        summary: 'an overlay document patches, deletes or adds a resource',
        ...at(overlay, [], locator),
        expected: '`patch: ID` with `with: {...}`, `delete: ID`, or a resource (kind, metadata, spec)',
        found: isMapping(value)
          ? `a mapping of ${Object.keys(value).join(', ') || 'nothing'}`
          : describeValue(value),
      });
  }

  if (locator instanceof RenderedLocator)
    for (const e of entries) locator.setMoved(e.doc.file, e.doc.index, e.moved);
  return entries.filter((e) => !e.deleted).map((e) => e.doc);
}

interface Context {
  byId: Map<string, Entry>;
  deletedBy: Map<string, RawDocument>;
  locator: FieldLocator;
  diags: Diagnostics;
  ns?: string;
}

function patch(overlay: RawDocument, ctx: Context): void {
  const parsed = parse(overlay, PatchDocumentSchema, ctx);
  if (!parsed) return;
  const id = targetId(parsed.patch, ctx.ns)!;
  const entry = target(overlay, id, 'patch', ctx);
  if (!entry) return;
  const moved = [...entry.moved];
  const value = mergePatch(entry.doc.value, parsed.with, (path, op) => {
    for (let i = moved.length - 1; i >= 0; i--) if (isPrefix(path, moved[i].prefix)) moved.splice(i, 1);
    if (op === 'set')
      moved.push({
        prefix: path,
        origin: { file: overlay.file, index: overlay.index, path: ['with', ...path] },
      });
  });
  const after = declaredId(value, ctx.ns);
  if (after !== id) {
    const field = ['kind', 'metadata'].find((k) => k in parsed.with) ?? 'metadata';
    ctx.diags.error({
      code: 'SETPOINT_OVERLAY_INVALID',
      summary: `a patch cannot change the id of ${id}${after ? ` (it would become ${after})` : ''}`,
      ...at(overlay, ['with', field], ctx.locator),
      resourceId: id,
      field: `with.${field}`,
      hint: `to rename it, delete it (\`delete: ${id}\`) and add the renamed resource`,
    });
    return;
  }
  const ref = refOf(overlay);
  entry.doc = { ...entry.doc, value, patchedBy: [...(entry.doc.patchedBy ?? []), ref] };
  entry.moved = moved;
}

function remove(overlay: RawDocument, ctx: Context): void {
  const parsed = parse(overlay, DeleteDocumentSchema, ctx);
  if (!parsed) return;
  const id = targetId(parsed.delete, ctx.ns)!;
  const entry = target(overlay, id, 'delete', ctx);
  if (!entry) return;
  entry.deleted = true;
  ctx.byId.delete(id);
  ctx.deletedBy.set(id, overlay);
}

function add(overlay: RawDocument, ctx: Context): Entry | undefined {
  const id = declaredId(overlay.value, ctx.ns);
  const existing = id ? ctx.byId.get(id) : undefined;
  if (existing) {
    const o = existing.doc;
    ctx.diags.error({
      code: 'SETPOINT_DUPLICATE_ID',
      summary: `adds ${id}, which is already declared`,
      ...at(overlay, ['metadata', 'name'], ctx.locator),
      resourceId: id,
      field: 'metadata.name',
      detail: `already declared at ${o.file}:${o.line}:${o.column}`,
      hint: `to change it, patch it (\`patch: ${id}\` with \`with: {...}\`); to replace it, delete it first (\`delete: ${id}\`)`,
    });
    return undefined;
  }
  const entry: Entry = { doc: overlay, id, moved: [] };
  if (id) {
    ctx.byId.set(id, entry);
    ctx.deletedBy.delete(id);
  }
  return entry;
}

/** The entry an overlay targets, or a diagnostic with a did-you-mean. */
function target(overlay: RawDocument, id: string, verb: 'patch' | 'delete', ctx: Context): Entry | undefined {
  const entry = ctx.byId.get(id);
  if (entry) return entry;
  const key = parseKey(id)!;
  const ids = [...ctx.byId.keys()];
  // Same kind and name in another namespace first (`File/motd` means the default namespace); else a near miss of the name or kind.
  const guess =
    ids.find((other) => {
      const k = parseKey(other);
      return k?.kind === key.kind && k.name === key.name;
    }) ?? closest(id, ids, Math.max(1, Math.floor(key.name.length / 3)));
  const deleted = ctx.deletedBy.get(id);
  ctx.diags.error({
    code: 'SETPOINT_OVERLAY_UNKNOWN_TARGET',
    summary: `${verb === 'patch' ? 'patches' : 'deletes'} ${id}, which is not declared`,
    ...at(overlay, [verb], ctx.locator),
    resourceId: id,
    field: verb,
    detail: deleted
      ? `it was deleted by the overlay at ${deleted.file}:${deleted.line}:${deleted.column}`
      : undefined,
    hint: guess
      ? `did you mean ${guess}?`
      : 'name a resource of the base manifests, or one added by an earlier overlay (Kind/name or Kind/namespace/name)',
  });
  return undefined;
}

/** Validates an overlay document's shape; unknown fields are errors. */
function parse<T>(overlay: RawDocument, schema: z.ZodType<T>, ctx: Context): T | undefined {
  const result = schema.safeParse(overlay.value, { reportInput: true });
  if (result.success) return result.data;
  const verb = 'patch' in (overlay.value as object) ? 'patch' : 'delete';
  const id = targetId((overlay.value as Record<string, unknown>)[verb], ctx.ns);
  const allowed = verb === 'patch' ? ['patch', 'with'] : ['delete'];
  for (const p of issuesToProblems(result.error.issues)) {
    const unknown = p.unknownKey !== undefined && p.path.length === 1;
    const guess = unknown ? closest(p.unknownKey!, allowed) : undefined;
    const d: Omit<Diagnostic, 'severity'> = {
      code: 'SETPOINT_OVERLAY_INVALID',
      summary: p.summary,
      ...at(overlay, p.path, ctx.locator, p.unknownKey !== undefined),
      resourceId: id,
      field: formatPath(p.path),
      expected: p.expected,
      found: p.unknownKey === undefined && p.hasInput ? describeValue(p.input) : undefined,
      hint: unknown
        ? guess
          ? `did you mean "${guess}"?`
          : `a ${verb} document has only ${allowed.join(' and ')}${verb === 'patch' ? '; the changes go under with:' : ''}`
        : undefined,
    };
    ctx.diags.error(d);
  }
  return undefined;
}

/** File, line and column of a field of a document (its key, for an unknown field). */
function at(doc: RawDocument, path: Array<string | number>, locator: FieldLocator, atKey = false) {
  const pos = atKey
    ? locator.locateKey(doc.file, doc.index, path)
    : locator.locate(doc.file, doc.index, path);
  return { file: pos?.file ?? doc.file, line: pos?.line ?? doc.line, column: pos?.column ?? doc.column };
}

function refOf(doc: RawDocument): DocumentRef {
  return { file: doc.file, index: doc.index, line: doc.line, column: doc.column };
}
