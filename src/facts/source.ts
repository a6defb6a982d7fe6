/**
 * Fact sources: the built-in facts plus a folder's custom facts, gathered on
 * first use and kept for the life of the process (one gathering per facts
 * folder). A failure is not cached: the next call tries again.
 */
import { SetpointError } from '../errors.js';
import { builtinFacts } from './builtin.js';
import { customFacts, FACT_FAILED } from './custom.js';
import type { Facts, FactSource } from './types.js';

export interface FactsOptions {
  /** Folder of custom facts. Defaults to none. */
  dir?: string;
  /** Per custom fact executable. Defaults to 10 s. */
  timeoutMs?: number;
}

let builtin: Facts | undefined;
const byDir = new Map<string, Facts>();

/** The facts of this host: built-in ones, then the folder's custom ones at the top level. */
export function gatherFacts(options: FactsOptions = {}): Facts {
  builtin ??= builtinFacts();
  if (options.dir === undefined) return builtin;
  const cached = byDir.get(options.dir);
  if (cached) return cached;
  const facts: Facts = { ...builtin };
  for (const [key, { value, file }] of customFacts({ dir: options.dir, timeoutMs: options.timeoutMs })) {
    if (key in builtin)
      throw new SetpointError(`custom fact ${file} sets "${key}", a built-in fact`, FACT_FAILED, {
        hint: `built-in facts cannot be replaced: rename it (e.g. "custom_${key}")`,
      });
    facts[key] = value;
  }
  byDir.set(options.dir, facts);
  return facts;
}

/** A FactSource for these options. */
export function factSource(options: FactsOptions = {}): FactSource {
  return () => gatherFacts(options);
}

/** A fact by its dotted path (`os.family`, `interfaces.eth0.ipv4.0`); undefined when there is none. */
export function lookupFact(facts: Facts, path: string): unknown {
  let value: unknown = facts;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
