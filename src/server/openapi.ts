/** The OpenAPI 3.1 document, built from the route definitions (schemas from zod via z.toJSONSchema). */
import * as z from 'zod';
import { VERSION } from '../version.js';
import { ErrorSchema } from '../api/contract.js';
import type { RouteSpec } from './route.js';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

function parameters(spec: RouteSpec): Json[] {
  const out: Json[] = [];
  for (const m of spec.path.matchAll(/:(\w+)/g))
    out.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
  if (spec.query instanceof z.ZodObject) {
    const shape: Readonly<Record<string, z.ZodType>> = (spec.query as z.ZodObject<Record<string, z.ZodType>>)
      .shape;
    for (const [name, prop] of Object.entries(shape)) {
      const schema = jsonSchema(prop);
      const { description, ...rest } = schema;
      out.push({
        name,
        in: 'query',
        required: !prop.safeParse(undefined).success,
        schema: rest,
        ...(description ? { description } : {}),
      });
    }
  }
  return out;
}

function operation(spec: RouteSpec): Json {
  const ok = spec.response ?? {};
  const contentType = ok.contentType ?? 'application/json';
  const responses: Json = {
    [String(ok.status ?? 200)]: {
      description: ok.description ?? 'OK',
      content: { [contentType]: { schema: ok.schema ? jsonSchema(ok.schema) : {} } },
    },
  };
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  if (spec.query || spec.body || spec.path.includes(':')) responses['400'] = error('Invalid request');
  if (spec.auth !== 'public') {
    responses['401'] = error('No token, or an invalid or revoked one');
    responses['403'] = error('The token lacks the role or the namespace');
    responses['429'] = error(
      'Too many failed authentications from this address, or too many open streams (Retry-After)',
    );
  }
  if (spec.path.includes(':'))
    responses['404'] = error('No such resource, approval, revision, source, alert or token');
  if (spec.method !== 'GET')
    responses['409'] = error('The state moved: stale approval, held lock, pinned source or refused revision');
  for (const e of spec.errors ?? []) responses[String(e.status)] = error(e.description);
  responses.default = error('Error');
  const op: Json = {
    operationId: `${spec.method.toLowerCase()}${spec.path.replace(/[/:{}.-]+(\w)/g, (_, ch: string) => ch.toUpperCase()).replace(/\W/g, '')}`,
    summary: spec.summary,
    tags: [spec.tag],
    'x-setpoint-role': spec.auth,
    security: spec.auth === 'public' ? [] : [{ bearer: [] }],
    parameters: parameters(spec),
    responses,
  };
  if (spec.description) op.description = spec.description;
  if (spec.body)
    op.requestBody = {
      required: !spec.body.safeParse(undefined).success && !spec.body.safeParse({}).success,
      content: { 'application/json': { schema: jsonSchema(spec.body) } },
    };
  return op;
}

const TAG_DESCRIPTIONS: Record<string, string> = {
  probes: 'Liveness, readiness, metrics and this document',
  status: 'Who am I, and how serve is doing',
  resources: 'Managed resources: their sync, health, drift and events',
  approvals: 'Actions proposed by serve that wait for a person',
  history: 'Events, audit log, policies, revisions and runs',
  operations: 'Plans, syncs and source pins',
  watch: 'Status changes and events as a stream',
  webhooks: 'Git push notifications',
  tokens: 'API tokens',
  alerts: 'Alert incidents and silences',
};

export function openApiDocument(specs: readonly RouteSpec[]): Json {
  const paths: Record<string, Json> = {};
  for (const spec of specs) {
    const path = spec.path.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[spec.method.toLowerCase()] = operation(spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'setpoint HTTP API',
      version: VERSION,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      description:
        'The desired-state engine, over HTTP. Bearer tokens (`setpoint token create`) with roles viewer < operator < approver < admin, optionally scoped to namespaces. Errors are `{error: {code, message, hint}}`.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(specs.map((s) => s.tag))].map((name) => ({
      name,
      description: TAG_DESCRIPTIONS[name] ?? `${name} endpoints`,
    })),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A token from `setpoint token create` (spt_…).',
        },
      },
      schemas: { Error: jsonSchema(ErrorSchema) },
    },
  };
}
