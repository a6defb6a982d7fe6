/**
 * Compiles Policy resources, once per revision: the match into a predicate,
 * the rule and the message's holes into CEL programs. Problems are
 * diagnostics at `spec.rule` (or the field at fault) with the library's
 * caret message; a policy with problems is left out.
 */
import {
  closest,
  type Diagnostics,
  type FieldLocator,
  type Resource,
  type ResourceId,
} from '../manifest/index.js';
import { compileCel, isProblem, toCel, type CelProgram } from './cel.js';
import { POLICY_INVALID } from './errors.js';
import { compileMessage, type MessageTemplate } from './message.js';
import { matchPredicate, type Predicate, type PolicySubject } from './predicates/index.js';
import type { PolicyAction, PolicyMatch, PolicySpec } from './schema.js';

export type Verdict = { compliant: true } | { compliant: false; message: string; error?: string };

export interface CompiledPolicy {
  /** The Policy document it was compiled from. */
  readonly resource: Resource;
  readonly id: ResourceId;
  readonly name: string;
  readonly action: PolicyAction;
  readonly description?: string;
  readonly rule: string;
  readonly match?: PolicyMatch;
  /** The rule or message reads `actual`: evaluated against observed state under serve, not at admission. */
  readonly runtime: boolean;
  /** `file:line` of the Policy document. */
  readonly origin: string;
  readonly applies: Predicate;
  /** The verdict for one resource; `context` holds `object` (and `actual`) as CEL values. */
  evaluate(context: Record<string, unknown>): Verdict;
}

export interface CompileOptions {
  /** Finds field positions for diagnostics. Defaults to the document's position. */
  locator?: FieldLocator;
  /** Known kinds: a match naming another kind gets a warning (a typo never matches). Defaults to no check. */
  kinds?: readonly string[];
}

export function compilePolicy(
  resource: Resource,
  diags: Diagnostics,
  options: CompileOptions = {},
): CompiledPolicy | undefined {
  const spec = resource.spec as PolicySpec;
  const at = (field: Array<string | number>) => {
    const o = resource.origin;
    const pos = options.locator?.locate(o.file, o.index, field);
    return {
      file: o.file,
      line: pos?.line ?? o.line,
      column: pos?.column ?? o.column,
      resourceId: resource.id,
      field: fieldName(field),
    };
  };
  let ok = true;
  if (resource.dependsOn.length > 0 || Object.keys(resource.lifecycle).length > 0) {
    ok = false;
    const field = resource.dependsOn.length > 0 ? 'dependsOn' : 'lifecycle';
    diags.error({
      code: POLICY_INVALID,
      summary: `a Policy is not a managed target: ${field} does not apply to it`,
      ...at([field]),
      hint: `remove ${field} from the Policy`,
    });
  }
  for (const [i, kind] of (spec.match?.kinds ?? []).entries()) {
    if (!options.kinds || options.kinds.includes(kind)) continue;
    const guess = closest(kind, options.kinds);
    diags.warning({
      code: POLICY_INVALID,
      summary: `match.kinds names "${kind}", which is not a known kind: the policy never applies to it`,
      ...at(['spec', 'match', 'kinds', i]),
      hint: guess ? `did you mean "${guess}"?` : `known kinds: ${options.kinds.join(', ')}`,
    });
  }
  const program = compileCel(spec.rule);
  if (isProblem(program)) {
    ok = false;
    diags.error({
      code: POLICY_INVALID,
      summary: `invalid CEL rule: ${program.summary}`,
      ...at(['spec', 'rule']),
      detail: program.detail,
      hint: program.hint ?? RULE_HINT,
    });
  } else if (program.type !== 'bool' && program.type !== 'dyn') {
    ok = false;
    diags.error({
      code: POLICY_INVALID,
      summary: `the rule is of type ${program.type}; it must be a boolean (true = compliant)`,
      ...at(['spec', 'rule']),
      hint: RULE_HINT,
    });
  }
  const defaultMessage = `violates policy ${resource.metadata.name}`;
  const message = compileMessage(spec.message ?? defaultMessage);
  if ('problems' in message) {
    ok = false;
    for (const p of message.problems)
      diags.error({
        code: POLICY_INVALID,
        summary: `invalid message: ${p.expression !== undefined ? `\${${p.expression}}: ` : ''}${p.summary}`,
        ...at(['spec', 'message']),
        detail: p.detail,
        hint: 'each ${...} holds a CEL expression, e.g. ${object.metadata.name}; write $${ for a literal ${',
      });
  }
  if (!ok || isProblem(program) || 'problems' in message) return undefined;
  return {
    resource,
    id: resource.id,
    name: resource.metadata.name,
    action: spec.action,
    description: spec.description,
    rule: spec.rule,
    match: spec.match,
    runtime: program.readsActual || message.readsActual,
    origin: `${resource.origin.file}:${resource.origin.line}`,
    applies: matchPredicate(spec.match),
    evaluate: (context) => verdict(program, message, context),
  };
}

const RULE_HINT =
  "a rule is a CEL expression that is true when the resource complies, e.g. object.spec.mode != '0777'";

function verdict(program: CelProgram, message: MessageTemplate, context: Record<string, unknown>): Verdict {
  let result: unknown;
  try {
    result = program.run(context);
  } catch (err) {
    return { compliant: false, message: message.render(context), error: firstLine(err) };
  }
  if (result === true) return { compliant: true };
  if (result === false) return { compliant: false, message: message.render(context) };
  return {
    compliant: false,
    message: message.render(context),
    error: `the rule returned ${typeof result === 'bigint' ? 'an int' : typeof result}, not true or false`,
  };
}

function firstLine(err: unknown): string {
  const e = err as { summary?: string; message?: string };
  return (e.summary ?? e.message ?? String(err)).split('\n')[0];
}

function fieldName(path: Array<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The subject a match looks at. */
export function subjectOf(resource: Resource): PolicySubject {
  return { kind: resource.key.kind, namespace: resource.key.namespace, labels: resource.metadata.labels };
}

/** `object` as rules see it: the desired resource document, with CEL values. */
export function policyObject(resource: Resource): Record<string, unknown> {
  return toCel({
    kind: resource.key.kind,
    metadata: {
      name: resource.key.name,
      namespace: resource.key.namespace,
      labels: resource.metadata.labels,
      annotations: resource.metadata.annotations,
    },
    spec: resource.spec ?? {},
    dependsOn: resource.dependsOn,
    lifecycle: resource.lifecycle,
  }) as Record<string, unknown>;
}
