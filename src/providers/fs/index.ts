export * from './schemas.js';
export * from './owners.js';
export * from './atomic.js';
export * from './stat.js';
export * from './watch.js';
export * from './temp.js';
