/**
 * The document envelope and the bridge from zod issues to field problems:
 * each issue becomes a problem with a path, a summary, what was expected and
 * what was found; allowedKeys feeds the "did you mean" hints.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as z from 'zod';
import {
  allowedKeys,
  documentSchema,
  EnvelopeSchema,
  issuesToProblems,
  KIND_PATTERN,
  LifecycleSchema,
  MetadataSchema,
} from './schema.js';

function problems(schema: z.ZodType, value: unknown) {
  const r = schema.safeParse(value, { reportInput: true });
  assert.equal(r.success, false, 'expected the value to be refused');
  return issuesToProblems(r.error?.issues ?? []);
}

const Spec = z.strictObject({
  path: z.string(),
  owner: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
  size: z.number().min(1).optional(),
  tags: z.array(z.string()).optional(),
  probe: z.strictObject({ http: z.strictObject({ url: z.string(), timeout: z.number() }) }).optional(),
  env: z.record(z.string(), z.strictObject({ value: z.string(), secret: z.boolean() })).optional(),
  steps: z.array(z.strictObject({ run: z.string(), shell: z.string() })).optional(),
  wrapped: z.strictObject({ inner: z.string() }).nullable().default(null),
  piped: z
    .strictObject({ a: z.string(), b: z.string() })
    .transform((v) => v.a + v.b)
    .optional(),
});

describe('issuesToProblems', () => {
  it('turns each unknown key into its own problem at the key, without a found value', () => {
    assert.deepEqual(problems(Spec, { path: '/a', colour: 1, size2: 2 }), [
      { path: ['colour'], summary: 'unknown field "colour"', unknownKey: 'colour', hasInput: false },
      { path: ['size2'], summary: 'unknown field "size2"', unknownKey: 'size2', hasInput: false },
    ]);
  });

  it('calls a missing required field missing, and a mapping a mapping', () => {
    assert.deepEqual(problems(Spec, {}), [
      {
        path: ['path'],
        summary: 'required field is missing',
        expected: 'string',
        input: undefined,
        hasInput: true,
      },
    ]);
    assert.deepEqual(problems(EnvelopeSchema, { kind: 'File' }), [
      {
        path: ['metadata'],
        summary: 'required field is missing',
        expected: 'a mapping',
        input: undefined,
        hasInput: true,
      },
    ]);
  });

  it('calls a value of another type a wrong type, keeping the value', () => {
    assert.deepEqual(problems(Spec, { path: 644 }), [
      { path: ['path'], summary: 'wrong type', expected: 'string', input: 644, hasInput: true },
    ]);
    assert.deepEqual(problems(Spec, { path: '/a', tags: ['a', 3] }), [
      { path: ['tags', 1], summary: 'wrong type', expected: 'string', input: 3, hasInput: true },
    ]);
  });

  it('lists the allowed values of an enum', () => {
    assert.deepEqual(problems(LifecycleSchema, { remediation: 'never' }), [
      {
        path: ['remediation'],
        summary: 'value not allowed',
        expected: 'one of "auto", "alert", "approve"',
        input: 'never',
        hasInput: true,
      },
    ]);
  });

  it('names every accepted type when a value matches no branch of a union of types', () => {
    assert.deepEqual(problems(Spec, { path: '/a', owner: true }), [
      { path: ['owner'], summary: 'wrong type', expected: 'string or number', input: true, hasInput: true },
    ]);
  });

  it('reports the branch that got furthest when a union value has the right type but a bad value', () => {
    assert.deepEqual(problems(Spec, { path: '/a', owner: -1 }), [
      { path: ['owner'], summary: 'Too small: expected number to be >=0', input: -1, hasInput: true },
    ]);
    assert.deepEqual(problems(Spec, { path: '/a', owner: '' }), [
      {
        path: ['owner'],
        summary: 'Too small: expected string to have >=1 characters',
        input: '',
        hasInput: true,
      },
    ]);
  });

  it('keeps the message of a refinement, without zod\'s "Invalid input: " prefix', () => {
    assert.deepEqual(problems(LifecycleSchema, { ignoreChanges: ['mode'] }), [
      {
        path: ['ignoreChanges', 0],
        summary: 'a field path such as spec.mode',
        input: 'mode',
        hasInput: true,
      },
    ]);
  });

  it('collects every problem of a value, not only the first', () => {
    const ps = problems(LifecycleSchema, { remediation: 'never', prune: 'yes', extra: 1 });
    assert.deepEqual(
      ps.map((p) => p.path.join('.')),
      ['remediation', 'prune', 'extra'],
    );
  });
});

describe('allowedKeys', () => {
  it('lists the keys of the object at a path, through optional, nullable, default, arrays, records and pipes', () => {
    assert.deepEqual(allowedKeys(Spec, []), [
      'path',
      'owner',
      'size',
      'tags',
      'probe',
      'env',
      'steps',
      'wrapped',
      'piped',
    ]);
    assert.deepEqual(allowedKeys(Spec, ['probe']), ['http']);
    assert.deepEqual(allowedKeys(Spec, ['probe', 'http']), ['url', 'timeout']);
    assert.deepEqual(allowedKeys(Spec, ['env', 'HOME']), ['value', 'secret']);
    assert.deepEqual(allowedKeys(Spec, ['steps', 0]), ['run', 'shell']);
    assert.deepEqual(allowedKeys(Spec, ['wrapped']), ['inner']);
    assert.deepEqual(allowedKeys(Spec, ['piped']), ['a', 'b']);
  });

  it('returns undefined where there is no object', () => {
    assert.equal(allowedKeys(Spec, ['path']), undefined);
    assert.equal(allowedKeys(Spec, ['nope', 'deeper']), undefined);
    assert.equal(allowedKeys(Spec, ['path', 'x']), undefined);
  });

  it('knows the envelope and metadata keys', () => {
    assert.deepEqual(allowedKeys(EnvelopeSchema, []), [
      'kind',
      'metadata',
      'spec',
      'dependsOn',
      'lifecycle',
      'nodeSelector',
    ]);
    assert.deepEqual(allowedKeys(EnvelopeSchema, ['metadata']), [
      'name',
      'namespace',
      'labels',
      'annotations',
    ]);
    assert.deepEqual(allowedKeys(EnvelopeSchema, ['lifecycle']), [
      'remediation',
      'prune',
      'preventDestroy',
      'ignoreChanges',
      'priority',
    ]);
  });
});

describe('the envelope', () => {
  it('accepts a full document of a kind and refuses another kind', () => {
    const schema = documentSchema('File', Spec);
    const doc = {
      kind: 'File',
      metadata: { name: 'motd', namespace: 'web', labels: { owner: 'team-web' }, annotations: { note: 'x' } },
      spec: { path: '/srv/motd' },
      dependsOn: ['Directory/web/srv'],
      lifecycle: {
        remediation: 'auto',
        prune: true,
        preventDestroy: false,
        ignoreChanges: ['spec.mode', 'metadata.labels'],
        priority: 'critical',
      },
    };
    assert.equal(schema.safeParse(doc).success, true);
    assert.equal(schema.safeParse({ ...doc, kind: 'Directory' }).success, false);
    assert.equal(schema.safeParse({ ...doc, status: {} }).success, false);
  });

  it('refuses bad names, namespaces, labels and priorities', () => {
    assert.deepEqual(
      problems(MetadataSchema, { name: '-x', namespace: 'a b', labels: { owner: 1 } }).map((p) =>
        p.path.join('.'),
      ),
      ['name', 'namespace', 'labels.owner'],
    );
    assert.deepEqual(
      problems(LifecycleSchema, { priority: 'urgent' })[0].expected,
      'one of "critical", "high", "normal", "low"',
    );
  });

  it('takes capitalised words as kinds', () => {
    assert.deepEqual(
      ['File', 'HttpCheck', 'X1', 'file', 'File-x', '1File', ''].map((k) => KIND_PATTERN.test(k)),
      [true, true, true, false, false, false, false],
    );
  });
});
