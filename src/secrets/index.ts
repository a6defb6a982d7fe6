export * from './redact.js';
export * from './resolve.js';
