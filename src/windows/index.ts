/** Change windows: deny/allow schedules that block non-urgent actions (see README.md). */
export * from './schema.js';
export * from './match.js';
export { compileWindow, type CompiledWindow } from './schedule.js';
export * from './evaluate.js';
export type { WindowGate } from './gate.js';
export * from './budget.js';
export * from './node-scope.js';
