/**
 * Builders for any kind: `resource(kind, name, spec)` checks the spec against
 * `KindSpecs` when the kind is known there, and `defineKind` gives a plug-in's
 * kind a builder typed from its provider's schema.
 */
import type * as z from 'zod';
import { kindBuilder, type KindBuilder } from './builtin.js';
import { makeDocument, type ResourceDocument, type ResourceOptions } from './document.js';
import type { KindName, SchemaInput, SpecOf } from './kinds.js';

/**
 * A document of any kind: `resource('File', 'motd', { path: '/etc/motd' })`.
 * A kind listed in `KindSpecs` (built-ins, and plug-ins that declare theirs)
 * gets its spec type-checked; any other kind takes any mapping.
 */
export function resource<const K extends KindName>(
  kind: K,
  name: string,
  spec: SpecOf<K>,
  options?: ResourceOptions,
): ResourceDocument<K, SpecOf<K>> {
  return makeDocument(kind, name, spec, options, resource);
}

/**
 * A typed builder for a plug-in's kind, its spec type taken from the schema:
 *
 *     export const widget = defineKind(widgetProvider);          // from the provider
 *     export const widget = defineKind('Widget', WidgetSchema);  // or kind + schema
 *
 * The input type of the schema is used (fields with defaults are optional).
 * A provider annotated as `Provider<Spec>` has lost its schema's input type;
 * then the spec type is `Spec`, or pass the schema itself.
 */
export function defineKind<const K extends string, S extends z.ZodType>(provider: {
  readonly kind: K;
  readonly schema: S;
}): KindBuilder<K, SchemaInput<S>>;
export function defineKind<const K extends string, S extends z.ZodType>(
  kind: K,
  schema: S,
): KindBuilder<K, SchemaInput<S>>;
export function defineKind(target: string | { readonly kind: string }): KindBuilder<string, unknown> {
  return kindBuilder(typeof target === 'string' ? target : target.kind);
}
