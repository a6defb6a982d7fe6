/**
 * The document envelope (kind, metadata, dependsOn, lifecycle) and the bridge
 * from schema-library issues to diagnostics. Provider specs are validated by
 * the provider's own schema; the envelope is the same for every kind.
 */
import * as z from 'zod';
import { NAME_PATTERN } from './key.js';
import { PRIORITIES } from './types.js';
import { NodeSelectorSchema } from './node-selector.js';

const name = (what: string) =>
  z
    .string()
    .regex(
      NAME_PATTERN,
      `${what} must be letters, digits, '.', '_' or '-', start and end with a letter or digit, at most 253 characters`,
    );

export const LifecycleSchema = z
  .strictObject({
    remediation: z.enum(['auto', 'alert', 'approve']).optional().describe('What serve does about drift.'),
    prune: z.boolean().optional().describe('Delete when removed from the desired state. Defaults to false.'),
    preventDestroy: z
      .boolean()
      .optional()
      .describe('Refuse plans that delete or replace. Defaults to false.'),
    ignoreChanges: z
      .array(z.string().regex(/^(spec|metadata)(\.[A-Za-z0-9_-]+)+$/, 'a field path such as spec.mode'))
      .optional()
      .describe('Field paths whose differences are ignored after creation.'),
    priority: z.enum(PRIORITIES).optional().describe('Ordering of work under serve. Defaults to normal.'),
  })
  .describe('Engine-level behaviour.');

export const MetadataSchema = z.strictObject({
  name: name('name'),
  namespace: name('namespace').optional().describe('Defaults to "default".'),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const KIND_PATTERN = /^[A-Z][A-Za-z0-9]*$/;

/** The whole document of a kind, for JSON Schema export. */
export function documentSchema(kind: string, spec: z.ZodType): z.ZodType {
  return z
    .strictObject({
      kind: z.literal(kind),
      metadata: MetadataSchema,
      spec,
      dependsOn: z
        .array(z.string())
        .optional()
        .describe('Ids (Kind/name or Kind/namespace/name) applied first.'),
      lifecycle: LifecycleSchema.optional(),
      nodeSelector: NodeSelectorSchema.optional(),
    })
    .describe(`A ${kind} resource.`);
}

export const EnvelopeSchema = z.strictObject({
  kind: z.string().regex(KIND_PATTERN, 'a kind such as File (a capitalised word)'),
  metadata: MetadataSchema,
  spec: z.unknown().optional(),
  dependsOn: z.array(z.string()).optional(),
  lifecycle: LifecycleSchema.optional(),
  nodeSelector: NodeSelectorSchema.optional(),
});

export type Envelope = z.infer<typeof EnvelopeSchema>;

/** A schema issue flattened to what a diagnostic needs. */
export interface FieldProblem {
  path: Array<string | number>;
  summary: string;
  expected?: string;
  /** The offending value, when the schema library reports it. */
  input?: unknown;
  hasInput: boolean;
  /** Unknown keys reported at `path`. */
  unknownKey?: string;
}

type Issue = z.core.$ZodIssue;

export function issuesToProblems(issues: readonly Issue[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const input = (issue as { input?: unknown }).input;
    const hasInput = 'input' in issue;
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys)
          out.push({
            path: [...path, key],
            summary: `unknown field "${key}"`,
            unknownKey: key,
            hasInput: false,
          });
        break;
      case 'invalid_type':
        out.push({
          path,
          summary: input === undefined ? 'required field is missing' : 'wrong type',
          expected: issue.expected === 'object' ? 'a mapping' : issue.expected,
          input,
          hasInput,
        });
        break;
      case 'invalid_value':
        out.push({
          path,
          summary: 'value not allowed',
          expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
          input,
          hasInput,
        });
        break;
      case 'invalid_union': {
        // Report the branch that got furthest (fewest problems) instead of "Invalid input".
        const branches = (issue.errors ?? []).filter((b) => b.length > 0);
        // No branch accepts the value's type: name them all ("string or number"), not just the first.
        const types = branches.map((b) =>
          b.length === 1 && b[0].code === 'invalid_type' && b[0].path.length === 0
            ? b[0].expected
            : undefined,
        );
        if (types.length > 1 && types.every((t) => t !== undefined)) {
          const expected = [...new Set(types)].map((t) => (t === 'object' ? 'a mapping' : t)).join(' or ');
          out.push({
            path,
            summary: input === undefined ? 'required field is missing' : 'wrong type',
            expected,
            input,
            hasInput,
          });
          break;
        }
        const best = branches.sort((a, b) => a.length - b.length)[0];
        if (best && best.length <= 2 && (issue as { note?: string }).note === undefined) {
          for (const p of issuesToProblems(best.map((b) => ({ ...b, path: [...issue.path, ...b.path] }))))
            out.push(p);
        } else {
          out.push({ path, summary: issue.message, input, hasInput });
        }
        break;
      }
      default:
        out.push({ path, summary: issue.message.replace(/^Invalid input: /, ''), input, hasInput });
    }
  }
  return out;
}

/** Keys an object schema accepts at a path, for "did you mean" hints. */
export function allowedKeys(schema: z.ZodType, path: ReadonlyArray<string | number>): string[] | undefined {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (!current) return undefined;
    if (current instanceof z.ZodObject) current = unwrap(current.shape[segment as string] as z.ZodType);
    else if (current instanceof z.ZodArray) current = unwrap(current.element as z.ZodType);
    else if (current instanceof z.ZodRecord) current = unwrap(current.valueType as z.ZodType);
    else return undefined;
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : undefined;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  for (let i = 0; i < 10 && s; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault)
      s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else break;
  }
  return s;
}
