/**
 * setpoint as a library: the API the CLI and server use, the provider
 * contract for third-party kinds (with the conformance suite and a recording
 * fake), the resource model, and typed builders for TypeScript manifests.
 */
export { Setpoint, SetpointError, verifyAuditFile, type OpenOptions } from './api/index.js';
export type { Provider, AnyProvider, Ctx, Health, HealthStatus, Disposable } from './provider/types.js';
export { ProviderError } from './provider/errors.js';
export { ProviderRegistry } from './provider/registry.js';
export { createRecordingFake, type RecordingFake } from './provider/fake.js';
export { builtinProviders, defaultRegistry, type BuiltinKind } from './providers/index.js';
export type { Resource, ResourceKey, ResourceId, Lifecycle, Diagnostic } from './manifest/index.js';
export type { Change } from './diff/index.js';
export {
  file,
  directory,
  symlink,
  exec,
  proc,
  fileEdit,
  cron,
  resource,
  defineKind,
  kindBuilder,
  refToId,
  type KindBuilder,
  type ResourceDocument,
  type ResourceOptions,
  type ResourceRef,
  type DocumentMetadata,
  type BuiltinSpecs,
  type KindSpecs,
  type KindName,
  type SpecOf,
  type SchemaInput,
  type FileSpecInput,
  type DirectorySpecInput,
  type SymlinkSpecInput,
  type ExecSpecInput,
  type ProcessSpecInput,
  type FileEditSpecInput,
  type CronSpecInput,
} from './builders/index.js';
export {
  pkg,
  user,
  group,
  service,
  httpCheck,
  type HttpCheckSpecInput,
  type PackageSpecInput,
  type UserSpecInput,
  type GroupSpecInput,
  type ServiceSpecInput,
} from './builders/index.js';
export {
  pgRole,
  pgDatabase,
  pgSchema,
  pgGrant,
  pgExtension,
  type PostgresRoleSpecInput,
  type PostgresDatabaseSpecInput,
  type PostgresSchemaSpecInput,
  type PostgresGrantSpecInput,
  type PostgresExtensionSpecInput,
} from './builders/index.js';
export {
  loadTypeScriptManifest,
  loadTypeScriptManifestOrDiagnose,
  closeTypeScriptLoader,
  TypeScriptManifestError,
  type TypeScriptLoadOptions,
} from './manifest/typescript.js';
export { callSitesOf, type CallSite } from './manifest/callsite.js';
