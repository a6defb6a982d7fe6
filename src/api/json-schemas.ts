/**
 * The published JSON Schemas: one for any manifest document (every kind of a
 * registry, chosen by `kind`) and one for setpoint.yaml, both generated from
 * the zod schemas that validate them, so an editor flags what `validate`
 * would. Draft-07, the dialect editors (yaml-language-server) and
 * SchemaStore understand best.
 */
import { toJSONSchema, type z } from 'zod';
import { documentSchema } from '../manifest/index.js';
import { POLICY_DESCRIPTION, POLICY_KIND, PolicySpecSchema, withPolicyKind } from '../policy/index.js';
import { SettingsSchema } from '../project/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import { SCHEMA_FILES } from './schema-files.js';

const DRAFT = 'http://json-schema.org/draft-07/schema#';

export { SCHEMA_FILES };

type JsonSchema = Record<string, unknown>;

function draft7(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-7',
  }) as JsonSchema;
  return rest;
}

/** The schema of one kind's documents (kind, metadata, spec, dependsOn, lifecycle). */
export function kindDocumentSchema(registry: ProviderRegistry, kind: string): JsonSchema | undefined {
  const provider =
    kind === POLICY_KIND ? { description: POLICY_DESCRIPTION, schema: PolicySpecSchema } : registry.get(kind);
  if (!provider) return undefined;
  return {
    $schema: DRAFT,
    ...draft7(documentSchema(kind, provider.schema)),
    description: provider.description,
  };
}

/**
 * Any manifest document: `kind` must name a known kind, and the rest is
 * checked against that kind's schema (if/then per kind, so an editor reports
 * the errors of the kind the document names, not of every alternative).
 */
export function manifestSchema(registry: ProviderRegistry): JsonSchema {
  const kinds = withPolicyKind(registry).kinds();
  const definitions: Record<string, JsonSchema> = {};
  for (const kind of kinds) {
    const { $schema: _dialect, definitions: inner, ...definition } = kindDocumentSchema(registry, kind)!;
    // A kind's own definitions (zod names recursive parts __schema0, ...) move up under the kind's name.
    const hoisted = (name: string) => `${kind}_${name}`;
    definitions[kind] = renameRefs(definition, hoisted) as JsonSchema;
    for (const [name, sub] of Object.entries((inner ?? {}) as Record<string, JsonSchema>))
      definitions[hoisted(name)] = renameRefs(sub, hoisted) as JsonSchema;
  }
  return {
    $schema: DRAFT,
    title: 'setpoint manifest document',
    description:
      'One resource of a setpoint manifest (a YAML document or a JSON object): kind, metadata, spec, dependsOn, lifecycle.',
    type: 'object',
    required: ['kind', 'metadata'],
    properties: {
      kind: { description: 'Which provider handles the resource.', enum: kinds },
    },
    allOf: kinds.map((kind) => ({
      if: { properties: { kind: { const: kind } }, required: ['kind'] },
      then: { $ref: `#/definitions/${kind}` },
    })),
    definitions,
  };
}

/** A copy of `node` whose local `#/definitions/NAME` references point to `#/definitions/rename(NAME)`. */
function renameRefs(node: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(node)) return node.map((n) => renameRefs(n, rename));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/definitions/')
        ? [key, `#/definitions/${rename(value.slice('#/definitions/'.length))}`]
        : [key, renameRefs(value, rename)],
    ),
  );
}

/** setpoint.yaml, the project's settings. */
export function settingsSchema(): JsonSchema {
  return {
    $schema: DRAFT,
    title: 'setpoint project settings (setpoint.yaml)',
    ...draft7(SettingsSchema),
  };
}

/** Every published schema by its file name (relative, with `/`): the two above and kinds/<Kind>.json. */
export function schemaFiles(registry: ProviderRegistry): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {
    [SCHEMA_FILES.manifest]: manifestSchema(registry),
    [SCHEMA_FILES.settings]: settingsSchema(),
  };
  for (const kind of withPolicyKind(registry).kinds())
    out[`kinds/${kind}.json`] = kindDocumentSchema(registry, kind)!;
  return out;
}
