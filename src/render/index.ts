/** Rendering: variables and environment overlays, pure transforms from parsed to final documents. */
export * from './schema.js';
export * from './variables.js';
export * from './merge-patch.js';
export * from './locate.js';
export * from './overlays.js';
export * from './project.js';
export { declaredId, documentId, targetId } from './ids.js';
