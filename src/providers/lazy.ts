/**
 * The built-in providers, each loaded on first need: a registry for
 * processes that run a known set of kinds (the agent loads the providers of
 * its node's set, not all nineteen with their schemas). Commands that read
 * arbitrary manifests (the API's open, `init`) keep ./index.ts, which loads
 * them all. Each import is its own chunk in the CLI bundle.
 */
import { ProviderRegistry, type ProviderLoader } from '../provider/registry.js';
import type { AnyProvider } from '../provider/types.js';
import type { BuiltinKind } from './index.js';

const loaders = {
  File: async () => (await import('./file/index.js')).fileProvider,
  Directory: async () => (await import('./directory/index.js')).directoryProvider,
  Symlink: async () => (await import('./symlink/index.js')).symlinkProvider,
  Exec: async () => (await import('./exec/index.js')).execProvider,
  Process: async () => (await import('./process/index.js')).processProvider,
  FileEdit: async () => (await import('./file-edit/index.js')).fileEditProvider,
  Cron: async () => (await import('./cron/index.js')).cronProvider,
  Package: async () => (await import('./package/index.js')).packageProvider,
  User: async () => (await import('./user/index.js')).userProvider,
  Group: async () => (await import('./group/index.js')).groupProvider,
  Service: async () => (await import('./service/index.js')).serviceProvider,
  HttpCheck: async () => (await import('./http-check/index.js')).httpCheckProvider,

  PostgresRole: async () => (await import('./postgres/role.js')).postgresRoleProvider,
  PostgresDatabase: async () => (await import('./postgres/database.js')).postgresDatabaseProvider,
  PostgresSchema: async () => (await import('./postgres/pg-schema.js')).postgresSchemaProvider,
  PostgresGrant: async () => (await import('./postgres/grant.js')).postgresGrantProvider,
  PostgresExtension: async () => (await import('./postgres/extension.js')).postgresExtensionProvider,

  Target: async () => (await import('./target/index.js')).targetProvider,
  Objective: async () => (await import('./target/index.js')).objectiveProvider,
} as const satisfies Record<BuiltinKind, () => Promise<AnyProvider>>;

export const builtinLoader: ProviderLoader = {
  kinds: Object.keys(loaders),
  load: (kind) => {
    const load = (loaders as Record<string, () => Promise<AnyProvider>>)[kind];
    if (!load) return Promise.reject(new Error(`no built-in provider for kind ${kind}`));
    return load();
  },
};

/** A registry of the built-in kinds that loads each provider on `load([kind])`; empty until then. */
export function lazyRegistry(): ProviderRegistry {
  return new ProviderRegistry([], builtinLoader);
}
