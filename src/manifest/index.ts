export * from './key.js';
export * from './diagnostics.js';
export * from './types.js';
export * from './parse.js';
export * from './read.js';
export * from './limits.js';
export * from './locate.js';
export * from './schema.js';
export * from './validate.js';
export * from './claims.js';
export * from './graph.js';
export * from './load.js';
export { closest } from './suggest.js';
export * from './cache.js';
export {
  loadTypeScriptManifest,
  loadTypeScriptManifestOrDiagnose,
  closeTypeScriptLoader,
  TypeScriptManifestError,
  type TypeScriptLoadOptions,
} from './typescript.js';
export { callSitesOf, type CallSite } from './callsite.js';
export * from './node-selector.js';
