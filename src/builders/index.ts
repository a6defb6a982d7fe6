/**
 * Typed builders for TypeScript manifests: `import { file, directory } from 'setpoint'`.
 * Each returns a plain resource document; the TypeScript loader
 * (manifest/typescript.ts) collects what a manifest module exports.
 */
export { file, directory, symlink, exec, proc, kindBuilder, type KindBuilder } from './builtin.js';
export { fileEdit, cron } from './builtin.js';
export { pkg, user, group, service, httpCheck } from './builtin.js';

export { pgRole, pgDatabase, pgSchema, pgGrant, pgExtension } from './builtin.js';

export { target, objective } from './builtin.js';
export { resource, defineKind } from './custom.js';
export {
  refToId,
  type ResourceDocument,
  type ResourceOptions,
  type ResourceRef,
  type DocumentMetadata,
} from './document.js';
export type {
  BuiltinSpecs,
  KindSpecs,
  KindName,
  SpecOf,
  SchemaInput,
  FileSpecInput,
  DirectorySpecInput,
  SymlinkSpecInput,
  ExecSpecInput,
  ProcessSpecInput,
  FileEditSpecInput,
  CronSpecInput,
} from './kinds.js';
export type {
  PackageSpecInput,
  UserSpecInput,
  GroupSpecInput,
  ServiceSpecInput,
  HttpCheckSpecInput,
} from './kinds.js';
export type {
  PostgresRoleSpecInput,
  PostgresDatabaseSpecInput,
  PostgresSchemaSpecInput,
  PostgresGrantSpecInput,
  PostgresExtensionSpecInput,
  TargetSpecInput,
  ObjectiveSpecInput,
} from './kinds.js';
