/** Ids of raw documents, before validation: what overlays target and diagnostics name. */
import { DEFAULT_NAMESPACE, formatKey, parseKey, type ResourceId } from '../manifest/index.js';

type Json = Record<string, unknown>;

function isMapping(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The id a raw resource document declares (`Kind/namespace/name`), or
 * undefined when kind or name is missing; validation reports those.
 */
export function declaredId(value: unknown, defaultNamespace = DEFAULT_NAMESPACE): ResourceId | undefined {
  if (!isMapping(value) || typeof value.kind !== 'string' || !isMapping(value.metadata)) return undefined;
  const { name, namespace } = value.metadata;
  if (typeof name !== 'string') return undefined;
  return formatKey({
    kind: value.kind,
    namespace: typeof namespace === 'string' ? namespace : defaultNamespace,
    name,
  });
}

/** A target id as written in an overlay (`Kind/name` or `Kind/namespace/name`), normalised. */
export function targetId(text: unknown, defaultNamespace = DEFAULT_NAMESPACE): ResourceId | undefined {
  if (typeof text !== 'string') return undefined;
  const key = parseKey(text, defaultNamespace);
  return key ? formatKey(key) : undefined;
}

/** The id a document declares or targets: a resource, `patch: ID` or `delete: ID`. */
export function documentId(value: unknown, defaultNamespace = DEFAULT_NAMESPACE): ResourceId | undefined {
  if (!isMapping(value)) return undefined;
  if ('patch' in value) return targetId(value.patch, defaultNamespace);
  if ('delete' in value) return targetId(value.delete, defaultNamespace);
  return declaredId(value, defaultNamespace);
}

export { isMapping };
