export * from './types.js';
export * from './alerts.js';
export * from './violations.js';
export * from './rollouts.js';
export * from './audit-chain.js';
export * from './audit-export.js';
export * from './audit-anchor.js';
export * from './errors.js';
