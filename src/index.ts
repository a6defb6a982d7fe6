/**
 * setpoint as a library: the API the CLI and server use, the provider
 * contract for third-party kinds (with the conformance suite and a recording
 * fake), and the resource model.
 */
export { Setpoint, SetpointError, type OpenOptions } from './api.js';
export type { Provider, AnyProvider, Ctx, Health, HealthStatus, Disposable } from './provider/types.js';
export { ProviderError } from './provider/errors.js';
export { ProviderRegistry } from './provider/registry.js';
export { createRecordingFake, type RecordingFake } from './provider/fake.js';
export { builtinProviders, defaultRegistry, type BuiltinKind } from './providers/index.js';
export type { Resource, ResourceKey, ResourceId, Lifecycle, Diagnostic } from './manifest/index.js';
export type { Change } from './diff/index.js';
