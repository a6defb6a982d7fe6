export * from './types.js';
export * from './audit-chain.js';
export * from './audit-export.js';
