export * from './log.js';
export * from './counters.js';
export * from './timing.js';
