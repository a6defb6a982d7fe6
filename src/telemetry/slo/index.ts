/** Service-level objectives: schema, SLI sources, error budgets and burn rates. */
export * from './schema.js';
export * from './burn.js';
export * from './sli.js';
export * from './status.js';
