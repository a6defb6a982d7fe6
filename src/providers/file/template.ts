/**
 * File templates: Jinja syntax (nunjucks), as Ansible users know it —
 * `{{ facts.hostname }}`, `{{ port }}` for a key of `vars`, `{% for %}`.
 *
 * Sandboxed: autoescape off (config files, not HTML); `{% include %}` and
 * `{% extends %}` read only files inside the template's own folder (and the
 * project); attribute lookups that reach JavaScript internals (`constructor`,
 * `__proto__`, ...) are refused, the way Jinja's SandboxedEnvironment refuses
 * unsafe attributes; undefined values are errors naming template:line:column.
 * Blocks are trimmed like Ansible's template module (trim_blocks): the newline
 * after a `{% ... %}` tag is dropped.
 *
 * nunjucks is loaded on the first template, so Files without one never pay for it.
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import type * as Nunjucks from 'nunjucks';
import { ProviderError } from '../../provider/errors.js';
import type { Ctx } from '../../provider/types.js';
import { SetpointError } from '../../errors.js';
import type { Facts } from '../../facts/index.js';
import { SecretError } from '../../secrets/index.js';
import { lazy } from '../../util/lazy.js';
import type { FileSpec } from './spec.js';

const nunjucks = lazy<typeof Nunjucks>('nunjucks');

/** Attributes whose lookup would let a template reach Function and run code. */
const UNSAFE_ATTRIBUTES = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

let sandboxed = false;

/** Wraps nunjucks' member lookup (every `a.b` and `a["b"]` in a template goes through it) once per process. */
function sandbox(n: typeof Nunjucks): void {
  if (sandboxed) return;
  const runtime = (n as unknown as { runtime: { memberLookup(obj: unknown, val: unknown): unknown } })
    .runtime;
  const lookup = runtime.memberLookup.bind(runtime);
  runtime.memberLookup = (obj, val) => {
    if (UNSAFE_ATTRIBUTES.has(String(val)))
      throw new Error(`the attribute "${String(val)}" is not allowed in a template`);
    return lookup(obj, val);
  };
  sandboxed = true;
}

export interface Rendered {
  content: Buffer;
  /** Values of the secrets among `vars`: the content holds them, so it is never shown. */
  secrets: string[];
}

/** Renders `spec.template` with `spec.vars` and the host facts. Throws a ProviderError naming spec.template or spec.vars. */
export async function renderTemplate(spec: FileSpec, ctx: Ctx): Promise<Rendered> {
  const rel = spec.template!;
  const main = ctx.readFile(rel, 'spec.template').toString('utf8');
  const folder = dirname(realpathSync(resolve(ctx.baseDir, rel)));
  const { vars, secrets } = await resolveVars(spec, ctx);
  const facts = factsOf(ctx);
  ctx.noteInput('facts', JSON.stringify(facts));
  const n = nunjucks();
  sandbox(n);
  const sources = new Map<string, string>([[resolve(folder, basename(rel)), main]]);
  const loader: Nunjucks.ILoader = {
    getSource(name: string) {
      const path = resolve(folder, name);
      const real = realOrUndefined(path);
      const inside = real !== undefined && isInside(folder, real);
      if (!inside)
        throw new Error(
          real === undefined
            ? `template not found: ${name} (looked in ${folder})`
            : `${name} is outside the template's folder ${folder}`,
        );
      const src = ctx.readFile(real, 'spec.template').toString('utf8');
      sources.set(real, src);
      return { src, path: real, noCache: true };
    },
  };
  const env = new n.Environment(loader, { autoescape: false, throwOnUndefined: true, trimBlocks: true });
  try {
    const text = new n.Template(main, env, resolve(folder, basename(rel)), true).render({ ...vars, facts });
    return { content: Buffer.from(text, 'utf8'), secrets };
  } catch (err) {
    throw templateError(err as Error, rel, folder, ctx.baseDir, sources);
  }
}

/** The host facts; a failing custom fact becomes an error naming spec.template. */
function factsOf(ctx: Ctx): Facts {
  try {
    return ctx.facts();
  } catch (err) {
    if (!(err instanceof SetpointError)) throw err;
    throw new ProviderError(`the template reads the host facts: ${err.message}`, {
      code: err.code,
      field: 'spec.template',
      hint: err.hint,
      cause: err,
    });
  }
}

async function resolveVars(
  spec: FileSpec,
  ctx: Ctx,
): Promise<{ vars: Record<string, unknown>; secrets: string[] }> {
  const vars: Record<string, unknown> = {};
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(spec.vars ?? {})) {
    if (!isSecretRef(value)) {
      vars[name] = value;
      continue;
    }
    try {
      const secret = await ctx.secrets.resolve(value.secretRef, ctx.baseDir);
      vars[name] = secret;
      secrets.push(secret);
    } catch (err) {
      if (err instanceof SecretError)
        throw new ProviderError(err.message, {
          code: err.code,
          field: `spec.vars.${name}.secretRef`,
          hint: err.hint,
        });
      throw err;
    }
  }
  return { vars, secrets };
}

function isSecretRef(value: unknown): value is { secretRef: Parameters<Ctx['secrets']['resolve']>[0] } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'secretRef' in value;
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function isInside(root: string, path: string): boolean {
  const r = relative(root, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/**
 * nunjucks nests its messages ("(path) [Line 2, Column 5]\n  message") once
 * per include level; the innermost one names the template and line at fault.
 */
function templateError(
  err: Error,
  rel: string,
  folder: string,
  baseDir: string,
  sources: Map<string, string>,
): ProviderError {
  if (err instanceof ProviderError) return err;
  const text = err.message;
  const located = [...text.matchAll(/\(([^()\n]+)\) \[Line (\d+), Column (\d+)\]/g)].pop();
  const paths = [...text.matchAll(/\(([^()\n]+)\)/g)].map((m) => m[1]);
  const file = located?.[1] ?? paths.pop() ?? resolve(folder, basename(rel));
  const shown = relative(baseDir, file) || rel;
  const message = text
    .split('\n')
    .pop()!
    .trim()
    .replace(/^(Template render error: |Error: )+/, '');
  let where = shown;
  let detail = message;
  if (located) {
    const line = Number(located[2]);
    const column = Number(located[3]);
    where = `${shown}:${line}:${column}`;
    if (/null or undefined/.test(message)) {
      const expr = expressionAt(sources.get(file), line, column);
      detail = `undefined value${expr ? ` in ${expr}` : ''}`;
    }
  }
  const undefinedValue = /undefined value/.test(detail);
  return new ProviderError(`template ${where}: ${detail}`, {
    code: 'SETPOINT_TEMPLATE_INVALID',
    field: 'spec.template',
    hint: undefinedValue
      ? 'define it under spec.vars, or use a fact that `setpoint facts` lists (as facts.NAME); `{{ x | default("y") }}` gives a fallback'
      : 'templates use Jinja syntax: {{ name }}, {% if %}, {% for %}; includes must stay in the template folder',
  });
}

/** The `{{ ... }}` at (or right after) a 1-based line and column of `source`. */
function expressionAt(source: string | undefined, line: number, column: number): string | undefined {
  const text = source?.split('\n')[line - 1];
  if (text === undefined) return undefined;
  const from = text.lastIndexOf('{{', Math.max(0, column));
  const start = from >= 0 ? from : text.indexOf('{{');
  if (start < 0) return undefined;
  const end = text.indexOf('}}', start);
  return end < 0 ? undefined : text.slice(start, end + 2);
}
