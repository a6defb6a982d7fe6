/**
 * Resource identity. A key is a value: the same `Kind/namespace/name` string is
 * the queue item, the map key, the log field and the error field.
 */

export const DEFAULT_NAMESPACE = 'default';

export interface ResourceKey {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** The canonical id: `Kind/namespace/name`. */
export type ResourceId = string;

export function formatKey(key: ResourceKey): ResourceId {
  return `${key.kind}/${key.namespace}/${key.name}`;
}

/**
 * Parses `Kind/name` or `Kind/namespace/name`. Returns undefined when the text
 * is not an id, so callers can report it as a diagnostic of their own.
 */
export function parseKey(text: string, defaultNamespace = DEFAULT_NAMESPACE): ResourceKey | undefined {
  const parts = text.split('/');
  if (parts.some((p) => p.length === 0)) return undefined;
  if (parts.length === 2) return { kind: parts[0], namespace: defaultNamespace, name: parts[1] };
  if (parts.length === 3) return { kind: parts[0], namespace: parts[1], name: parts[2] };
  return undefined;
}

/** Normalises `Kind/name` to `Kind/default/name`; leaves anything unparsable as it is. */
export function normalizeId(text: string, defaultNamespace = DEFAULT_NAMESPACE): ResourceId {
  const key = parseKey(text, defaultNamespace);
  return key ? formatKey(key) : text;
}

/** Names and namespaces: DNS-label-like, plus dots and underscores, which file names often need. */
export const NAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
