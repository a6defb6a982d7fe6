export * from './types.js';
export * from './compose.js';
export * from './kinds.js';
export * from './namespaces.js';
export * from './labels.js';
export * from './match.js';
