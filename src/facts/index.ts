/** Host facts: built-in (hostname, OS, kernel, CPUs, memory, addresses, init, package manager) and custom ones. */
export * from './types.js';
export { builtinFacts, parseOsRelease, domainOf } from './builtin.js';
export { customFacts, FACT_FAILED } from './custom.js';
export { gatherFacts, factSource, lookupFact, type FactsOptions } from './source.js';
