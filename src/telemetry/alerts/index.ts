/** Alerting: built-in rules, incidents deduplicated by fingerprint, silences, routing by owner, grouped notifications (see README.md). */
export * from './schema.js';
export * from './labels.js';
export * from './types.js';
export * from './dispatch.js';
export * from './receivers.js';
export * from './evaluator.js';
export * from './silences.js';
export { BUILTIN_RULES } from './rules/index.js';
