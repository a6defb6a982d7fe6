/**
 * `nodeSelector`: which enrolled nodes a resource (or a whole source) goes
 * to, with Kubernetes label-selector semantics. A selector matches a node when
 * every `matchLabels` pair is among its labels and every expression holds
 * (In, NotIn, Exists, DoesNotExist). A node's labels include its facts,
 * flattened as `facts.os.family`. An empty selector matches every node.
 */
import * as z from 'zod';

/** A label key: letters, digits, '.', '_', '/' or '-', starting and ending with a letter or digit. */
export const LABEL_KEY_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,251}[A-Za-z0-9])?$/;

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

const labelKey = z
  .string()
  .regex(
    LABEL_KEY_PATTERN,
    "a label key of letters, digits, '.', '_', '/' or '-' (e.g. env or facts.os.family)",
  );

const ExpressionSchema = z
  .strictObject({
    key: labelKey,
    operator: z.enum(SELECTOR_OPERATORS),
    values: z.array(z.string()).optional(),
  })
  .superRefine((e, ctx) => {
    const needs = e.operator === 'In' || e.operator === 'NotIn';
    if (needs && (!e.values || e.values.length === 0))
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `operator ${e.operator} needs a non-empty list of values`,
      });
    if (!needs && e.values && e.values.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `operator ${e.operator} takes no values`,
      });
  });

export const NodeSelectorSchema = z
  .strictObject({
    matchLabels: z
      .record(labelKey, z.string())
      .optional()
      .describe('Labels a node must have, with these values.'),
    matchExpressions: z
      .array(ExpressionSchema)
      .optional()
      .describe('Requirements on labels: In, NotIn (with values), Exists, DoesNotExist.'),
  })
  .describe(
    'The enrolled nodes this goes to (Kubernetes label-selector semantics; facts are labels as facts.*). Without it, the server host.',
  );

export type NodeSelector = z.infer<typeof NodeSelectorSchema>;
export type SelectorExpression = NonNullable<NodeSelector['matchExpressions']>[number];

/** Whether `selector` selects a node with these labels. */
export function selectorMatches(selector: NodeSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !e.values!.includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        // Kubernetes: a node without the label satisfies NotIn.
        if (has && e.values!.includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** Both selectors at once (a source's and its resource's): every requirement of each. */
export function intersectSelectors(
  a: NodeSelector | undefined,
  b: NodeSelector | undefined,
): NodeSelector | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: NodeSelector = {};
  const labels = { ...(a.matchLabels ?? {}) };
  const expressions = [...(a.matchExpressions ?? []), ...(b.matchExpressions ?? [])];
  for (const [k, v] of Object.entries(b.matchLabels ?? {})) {
    // The same key with two values selects nothing: keep both as requirements.
    if (k in labels && labels[k] !== v) expressions.push({ key: k, operator: 'In', values: [v] });
    else labels[k] = v;
  }
  if (Object.keys(labels).length) out.matchLabels = labels;
  if (expressions.length) out.matchExpressions = expressions;
  return out;
}

/** A selector as one line: `env=prod, facts.os.family in (debian, ubuntu), !legacy`. */
export function formatSelector(selector: NodeSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? [])
    parts.push(
      e.operator === 'In'
        ? `${e.key} in (${e.values!.join(', ')})`
        : e.operator === 'NotIn'
          ? `${e.key} notin (${e.values!.join(', ')})`
          : e.operator === 'Exists'
            ? e.key
            : `!${e.key}`,
    );
  return parts.join(', ') || '(every node)';
}

/**
 * A node's labels for selection: its own labels, and its facts flattened
 * (`facts.os.family`, `facts.cpus`); lists by index (`facts.ipv4.0`).
 */
export function selectionLabels(
  labels: Readonly<Record<string, string>>,
  facts: unknown,
): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, path: string, depth: number) => {
    if (depth > 6 || value === null || value === undefined) return;
    if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        walk(v, `${path}.${k}`, depth + 1);
      return;
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      out[path] = String(value);
  };
  walk(facts, 'facts', 0);
  return { ...out, ...labels };
}
