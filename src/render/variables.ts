/**
 * Variables: `${name}` inside string values of documents, replaced after
 * parsing, so every diagnostic still points at the exact line and column.
 *
 * Precedence, highest first: the command line (`--var name=value`), the
 * process environment (`SETPOINT_VAR_<name>`), the selected environment's
 * `variables` in setpoint.yaml, the top-level `variables`. `$${...}` is a
 * literal `${...}`. Two forms belong to later stages and pass through
 * untouched: `${replica}` / `${replica+N}` (Process replicas) and anything in
 * a Policy's `spec.message` (evaluated by the policy engine).
 */
import {
  closest,
  describeValue,
  Diagnostics,
  FieldLocator,
  formatPath,
  type RawDocument,
} from '../manifest/index.js';
import { lookupFact, type FactSource } from '../facts/index.js';
import { documentId, isMapping, targetId } from './ids.js';
import { VARIABLE_NAME, type VariableValue } from './schema.js';

export interface Variable {
  value: VariableValue;
  /** Where the value came from, for messages: `--var`, `SETPOINT_VAR_region`, `environments.prod.variables`, `variables`. */
  from: string;
}

/** Resolved variables by name. */
export type Variables = ReadonlyMap<string, Variable>;

/** Prefix of process environment variables that define variables. */
export const ENV_PREFIX = 'SETPOINT_VAR_';

export interface VariableInputs {
  /** Top-level `variables` of setpoint.yaml. Defaults to none. */
  settings?: Readonly<Record<string, VariableValue>>;
  /** The selected environment: its name and `variables`. Defaults to none. */
  environment?: { name: string; variables?: Readonly<Record<string, VariableValue>> };
  /** The process environment, read for `SETPOINT_VAR_<name>`. Defaults to none. */
  env?: Readonly<Record<string, string | undefined>>;
  /** `--var name=value` pairs, already split. Defaults to none. */
  cli?: Readonly<Record<string, string>>;
}

/**
 * Merges the four places variables come from. A variable defined in
 * setpoint.yaml as a number or boolean has that type: a string given for it
 * on the command line or in the environment is converted, or is a diagnostic.
 */
export function resolveVariables(inputs: VariableInputs, diags: Diagnostics): Variables {
  const out = new Map<string, Variable>();
  for (const [name, value] of Object.entries(inputs.settings ?? {}))
    out.set(name, { value, from: 'variables' });
  const env = inputs.environment;
  for (const [name, value] of Object.entries(env?.variables ?? {}))
    out.set(name, { value, from: `environments.${env!.name}.variables` });
  const strings: Array<[string, string, string]> = [];
  for (const [key, value] of Object.entries(inputs.env ?? {})) {
    const name = key.slice(ENV_PREFIX.length);
    if (key.startsWith(ENV_PREFIX) && value !== undefined && VARIABLE_NAME.test(name))
      strings.push([name, value, key]);
  }
  for (const [name, value] of Object.entries(inputs.cli ?? {})) strings.push([name, value, '--var']);
  for (const [name, text, from] of strings) {
    const declared = out.get(name);
    const value = declared ? convert(text, typeof declared.value) : text;
    if (value === undefined) {
      diags.error({
        code: 'SETPOINT_VARIABLE_INVALID',
        summary: `${from === '--var' ? `--var ${name}` : from}: ${JSON.stringify(text)} is not a ${typeof declared!.value}`,
        expected: `a ${typeof declared!.value}, the type of ${name} in setpoint.yaml (${declared!.from})`,
        found: describeValue(text),
        hint: typeof declared!.value === 'boolean' ? 'write true or false' : 'write a number, e.g. 3 or 0.5',
      });
      continue;
    }
    out.set(name, { value, from });
  }
  return out;
}

function convert(text: string, type: string): VariableValue | undefined {
  if (type === 'number')
    return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : undefined;
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : undefined;
  return text;
}

export { parseAssignment } from './assignment.js';

/** A reference that could not be replaced. */
export type InterpolationProblem =
  | { kind: 'undefined'; name: string }
  | { kind: 'invalid'; text: string }
  | { kind: 'fact'; name: string; summary: string; hint: string };

const REPLICA_REF = /^replica(\s*\+\s*\d+)?$/;
/** `${facts.os.family}`: a host fact by its dotted path. */
const FACT_REF = /^facts(\.[A-Za-z0-9_-]+)+$/;

/**
 * Replaces the references in one string. A string that is exactly `${name}`
 * becomes the variable's value with its type; otherwise values are joined as
 * text. Unreplaceable references stay as written and are returned as problems.
 */
export function interpolateString(
  text: string,
  variables: Variables,
  facts?: FactSource | 'node',
): { value: VariableValue; problems: InterpolationProblem[] } {
  const problems: InterpolationProblem[] = [];
  if (!text.includes('${')) return { value: text, problems };
  let out = '';
  let i = 0;
  for (;;) {
    const start = text.indexOf('${', i);
    if (start < 0) break;
    if (start > 0 && text[start - 1] === '$') {
      // `$${` is an escaped, literal `${`.
      out += text.slice(i, start - 1) + '${';
      i = start + 2;
      continue;
    }
    const end = text.indexOf('}', start + 2);
    if (end < 0) {
      problems.push({ kind: 'invalid', text: text.slice(start) });
      break;
    }
    out += text.slice(i, start);
    i = end + 1;
    const ref = text.slice(start, end + 1);
    const name = ref.slice(2, -1);
    if (REPLICA_REF.test(name)) {
      out += ref;
      continue;
    }
    if (FACT_REF.test(name) && facts === 'node') {
      // Resolved on the node that gets the resource, with that node's facts.
      out += ref;
      continue;
    }
    if (FACT_REF.test(name)) {
      const fact = factValue(name, facts);
      if ('problem' in fact) {
        problems.push(fact.problem);
        out += ref;
        continue;
      }
      if (start === 0 && end === text.length - 1) return { value: fact.value, problems };
      out += String(fact.value);
      continue;
    }
    if (!VARIABLE_NAME.test(name)) {
      problems.push({ kind: 'invalid', text: ref });
      out += ref;
      continue;
    }
    const variable = variables.get(name);
    if (!variable) {
      problems.push({ kind: 'undefined', name });
      out += ref;
      continue;
    }
    if (start === 0 && end === text.length - 1) return { value: variable.value, problems };
    out += String(variable.value);
  }
  return { value: out + text.slice(i), problems };
}

/** The value of `${facts.…}`: a string, number or boolean fact. */
function factValue(
  ref: string,
  facts: FactSource | 'node' | undefined,
): { value: VariableValue } | { problem: InterpolationProblem } {
  const path = ref.slice('facts.'.length);
  const problem = (summary: string, hint: string) => ({
    problem: { kind: 'fact' as const, name: ref, summary, hint },
  });
  if (!facts || facts === 'node')
    return problem(`\${${ref}} cannot be used here`, 'facts are available in manifests of a project');
  let all;
  try {
    all = facts();
  } catch (err) {
    return problem(
      `cannot gather facts for \${${ref}}: ${(err as Error).message}`,
      (err as { hint?: string }).hint ?? 'run `setpoint facts` to see the error',
    );
  }
  const value = lookupFact(all, path);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return { value };
  if (value !== undefined && value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    return problem(
      `\${${ref}} is ${Array.isArray(value) ? 'a list' : 'a mapping'}, not a single value`,
      keys.length
        ? `name one of its entries, e.g. \${${ref}.${keys[0]}} (it has ${keys.slice(0, 8).join(', ')})`
        : 'it is empty on this host',
    );
  }
  const parent = path.includes('.') ? lookupFact(all, path.slice(0, path.lastIndexOf('.'))) : all;
  const names = parent && typeof parent === 'object' ? Object.keys(parent) : [];
  const last = path.slice(path.lastIndexOf('.') + 1);
  const guess = closest(last, names);
  return problem(
    `unknown fact \${${ref}}`,
    guess
      ? `did you mean \${${ref.slice(0, ref.length - last.length)}${guess}}? \`setpoint facts\` lists every fact`
      : '`setpoint facts` lists every fact of this host',
  );
}

export interface InterpolateOptions {
  variables: Variables;
  /** Host facts for `${facts.*}`. Defaults to none (a reference is then an error). */
  facts?: FactSource;
  /** Finds the line and column of a string with a problem. Defaults to a new FieldLocator. */
  locator?: FieldLocator;
  /**
   * The documents go to enrolled nodes (their source selects nodes): `${facts.*}` stays as written and
   * is resolved on each node. A document with a top-level nodeSelector is treated so anyway. Defaults to false.
   */
  nodeFacts?: boolean;
  /** Namespace of resources that name none, for ids in diagnostics. Defaults to "default". */
  defaultNamespace?: string;
}

/** Interpolates every document; unchanged documents are returned as they are, never copied. */
export function interpolateDocuments(
  docs: readonly RawDocument[],
  options: InterpolateOptions,
  diags: Diagnostics,
): RawDocument[] {
  const locator = options.locator ?? new FieldLocator();
  return docs.map((doc) => interpolateDocument(doc, { ...options, locator }, diags));
}

/** Interpolates the string values of one document (never its keys); the input is not modified. */
export function interpolateDocument(
  doc: RawDocument,
  options: InterpolateOptions,
  diags: Diagnostics,
): RawDocument {
  const reserved = reservedPath(doc.value);
  const facts =
    options.nodeFacts || (isMapping(doc.value) && 'nodeSelector' in doc.value) ? 'node' : options.facts;
  let id: string | undefined | null = null;
  const locator = options.locator ?? new FieldLocator();
  const report = (problem: InterpolationProblem, path: Array<string | number>) => {
    if (id === null) id = documentId(doc.value, options.defaultNamespace);
    const pos = locator.locate(doc.file, doc.index, path);
    const at = {
      file: doc.file,
      line: pos?.line ?? doc.line,
      column: pos?.column ?? doc.column,
      resourceId: id,
      field: formatPath(path),
    };
    if (problem.kind === 'fact')
      diags.error({ code: 'SETPOINT_FACT_UNDEFINED', ...at, summary: problem.summary, hint: problem.hint });
    else if (problem.kind === 'undefined')
      diags.error({
        code: 'SETPOINT_VARIABLE_UNDEFINED',
        ...at,
        ...undefinedMessage(problem.name, options.variables),
      });
    else
      diags.error({
        code: 'SETPOINT_VARIABLE_INVALID',
        ...at,
        summary: `${problem.text} is not a variable reference`,
        expected: '${name} with a name of letters, digits and "_"',
        hint: `write $\${ for a literal \${ (e.g. $${problem.text})`,
      });
  };
  const walk = (value: unknown, path: Array<string | number>): unknown => {
    if (reserved && path.length === reserved.length && path.every((s, i) => s === reserved[i])) return value;
    if (typeof value === 'string') {
      const result = interpolateString(value, options.variables, facts);
      for (const p of result.problems) report(p, path);
      return result.value;
    }
    if (Array.isArray(value)) {
      const items = value as unknown[];
      let copy: unknown[] | undefined;
      items.forEach((item, i) => {
        const next = walk(item, [...path, i]);
        if (next !== item) (copy ??= [...items])[i] = next;
      });
      return copy ?? items;
    }
    if (isMapping(value)) {
      let copy: Record<string, unknown> | undefined;
      for (const [key, item] of Object.entries(value)) {
        const next = walk(item, [...path, key]);
        if (next !== item) (copy ??= { ...value })[key] = next;
      }
      return copy ?? value;
    }
    return value;
  };
  const value = walk(doc.value, []);
  return value === doc.value ? doc : { ...doc, value };
}

function undefinedMessage(name: string, variables: Variables) {
  const names = [...variables.keys()].sort();
  const guess = closest(name, names);
  const how = `define it under variables: in setpoint.yaml (or an environment's), with --var ${name}=VALUE or with ${ENV_PREFIX}${name}=VALUE; write $\${${name}} for a literal \${${name}}`;
  return {
    summary: `undefined variable "${name}"`,
    detail: names.length
      ? `defined: ${names.map((n) => `${n} (${variables.get(n)!.from})`).join(', ')}`
      : 'no variables are defined',
    hint: guess ? `did you mean \${${guess}}? Or ${how}` : how,
  };
}

/**
 * The inverse for output: a rendered document printed as a manifest must
 * render to itself, so every literal `${` is written `$${` again — except the
 * forms later stages interpolate (`${replica…}`, a Policy's message).
 */
export function escapeLiterals<T>(value: T): T {
  const reserved = reservedPath(value);
  const walk = (v: unknown, path: string[]): unknown => {
    if (reserved && path.length === reserved.length && path.every((seg, i) => seg === reserved[i])) return v;
    if (typeof v === 'string')
      return v.includes('${')
        ? v.replace(/\$\{([^}]*)\}/g, (ref, name: string) => (REPLICA_REF.test(name) ? ref : `$${ref}`))
        : v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, String(i)]));
    if (isMapping(v))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  return walk(value, []) as T;
}

/**
 * The subtree that later stages interpolate themselves: a Policy's
 * `spec.message` (or `with.spec.message` of a patch of a Policy).
 */
function reservedPath(value: unknown): string[] | undefined {
  if (!isMapping(value)) return undefined;
  if (value.kind === 'Policy') return ['spec', 'message'];
  if ('patch' in value && targetId(value.patch)?.startsWith('Policy/')) return ['with', 'spec', 'message'];
  return undefined;
}
