/** Progressive rollouts: strategies, targets, step planning, gates, composition of revisions, the runner. */
export * from './schema.js';
export * from './targets.js';
export * from './steps.js';
export * from './gates.js';
export * from './compose.js';
export * from './commands.js';
export * from './runner.js';
