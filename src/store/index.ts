export * from './types.js';
export * from './audit-chain.js';
