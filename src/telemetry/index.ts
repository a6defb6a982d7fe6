export * from './log.js';
export * from './counters.js';
