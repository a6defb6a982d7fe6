/**
 * The shapes rendering reads: `variables` and `environments` in setpoint.yaml
 * (merged into the settings schema by project/settings.ts) and the two
 * overlay documents that are not plain resources, `patch` and `delete`.
 */
import * as z from 'zod';
import { NAME_PATTERN, parseKey } from '../manifest/index.js';
import { VARIABLE_NAME } from './assignment.js';

export { VARIABLE_NAME };

/** `${replica}` belongs to the Process kind (per-replica substitution at start time). */
export const RESERVED_VARIABLES: readonly string[] = ['replica'];

export const VariableValueSchema = z.union([z.string(), z.number(), z.boolean()]);

export type VariableValue = z.infer<typeof VariableValueSchema>;

/**
 * Checks the keys of a record with messages of our own (zod's say only
 * "Invalid key in record"), also when a value has a problem of its own.
 */
function keysMatch<T extends z.ZodType<Record<string, unknown>>>(
  schema: T,
  check: (key: string) => string | undefined,
): T {
  return schema.superRefine(
    (record, ctx) => {
      for (const key of Object.keys(record)) {
        const message = check(key);
        if (message) ctx.addIssue({ code: 'custom', path: [key], message, input: key });
      }
    },
    {
      when: (payload) =>
        typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
    },
  );
}

export const VariablesSchema = keysMatch(z.record(z.string(), VariableValueSchema), (name) =>
  !VARIABLE_NAME.test(name)
    ? `"${name}" is not a variable name: letters, digits and "_", not starting with a digit`
    : RESERVED_VARIABLES.includes(name)
      ? `"${name}" is reserved for Process replicas`
      : undefined,
).describe(
  'Values for ${name} in manifests. A number or boolean keeps its type where a whole value is ${name}, and --var / SETPOINT_VAR_<name> values are converted to it. Defaults to none.',
);

export const EnvironmentSchema = z
  .strictObject({
    overlays: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Folders or files of overlay documents, relative to the project, applied in order. Defaults to none.',
      ),
    variables: VariablesSchema.optional().describe(
      'Variables of this environment; they win over the top-level ones. Defaults to none.',
    ),
  })
  .describe('One environment: overlays over the base manifests, and its variables.');

export const EnvironmentsSchema = keysMatch(z.record(z.string(), EnvironmentSchema), (name) =>
  NAME_PATTERN.test(name)
    ? undefined
    : `"${name}" is not an environment name: letters, digits, ".", "_" or "-"`,
).describe('Named environments, selected with --env NAME or SETPOINT_ENV. Defaults to none.');

export type RawEnvironment = z.infer<typeof EnvironmentSchema>;

const TargetSchema = z.string().refine((s) => parseKey(s) !== undefined, {
  message: 'not a resource id: expected Kind/name or Kind/namespace/name',
});

/** `{patch: ID, with: {...}}`: a JSON merge patch (RFC 7386) of one resource. */
export const PatchDocumentSchema = z
  .strictObject({
    patch: TargetSchema.describe('The id of the resource to patch: Kind/name or Kind/namespace/name.'),
    with: z
      .record(z.string(), z.unknown())
      .describe(
        'A JSON merge patch (RFC 7386): mappings merge, null deletes a field, lists and other values replace.',
      ),
  })
  .describe('Patches one resource of the base (or one added by an earlier overlay).');

/** `{delete: ID}`: removes one resource from the rendered set. */
export const DeleteDocumentSchema = z
  .strictObject({
    delete: TargetSchema.describe('The id of the resource to remove: Kind/name or Kind/namespace/name.'),
  })
  .describe('Removes one resource of the base (or one added by an earlier overlay).');

export type PatchDocument = z.infer<typeof PatchDocumentSchema>;
export type DeleteDocument = z.infer<typeof DeleteDocumentSchema>;
