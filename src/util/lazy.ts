/**
 * Loads a package on first use instead of at start-up. For libraries most
 * runs never touch (the YAML CST parser that locates fields for diagnostics,
 * the CEL engine when there are no policies): evaluating them costs every
 * command ~10-30 ms. Node >= 20.19 can require() ES modules, so this works
 * for both kinds; the id is not a literal, so the bundler leaves it alone.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export function lazy<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= load(id) as T);
}
