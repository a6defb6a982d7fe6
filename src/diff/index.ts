export * from './change.js';
export * from './text.js';
