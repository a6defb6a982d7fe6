/** Built-in providers, as a typed map of factories (plug-ins add theirs to the registry). */
import { ProviderRegistry } from '../provider/registry.js';
import type { AnyProvider } from '../provider/types.js';
import { directoryProvider } from './directory/index.js';
import { execProvider } from './exec/index.js';
import { fileProvider } from './file/index.js';
import { fileEditProvider } from './file-edit/index.js';
import { cronProvider } from './cron/index.js';
import { processProvider } from './process/index.js';
import { symlinkProvider } from './symlink/index.js';
import { packageProvider } from './package/index.js';
import { userProvider } from './user/index.js';
import { groupProvider } from './group/index.js';
import { serviceProvider } from './service/index.js';
import { httpCheckProvider } from './http-check/index.js';

import {
  postgresDatabaseProvider,
  postgresExtensionProvider,
  postgresGrantProvider,
  postgresRoleProvider,
  postgresSchemaProvider,
} from './postgres/index.js';

import { objectiveProvider, targetProvider } from './target/index.js';

export const builtinProviders = {
  File: () => fileProvider,
  Directory: () => directoryProvider,
  Symlink: () => symlinkProvider,
  Exec: () => execProvider,
  Process: () => processProvider,
  FileEdit: () => fileEditProvider,
  Cron: () => cronProvider,
  Package: () => packageProvider,
  User: () => userProvider,
  Group: () => groupProvider,
  Service: () => serviceProvider,
  HttpCheck: () => httpCheckProvider,

  PostgresRole: () => postgresRoleProvider,
  PostgresDatabase: () => postgresDatabaseProvider,
  PostgresSchema: () => postgresSchemaProvider,
  PostgresGrant: () => postgresGrantProvider,
  PostgresExtension: () => postgresExtensionProvider,

  Target: () => targetProvider,
  Objective: () => objectiveProvider,
} as const satisfies Record<string, () => AnyProvider>;

export type BuiltinKind = keyof typeof builtinProviders;

export function defaultRegistry(): ProviderRegistry {
  return new ProviderRegistry(Object.values(builtinProviders).map((factory) => factory()));
}

export { fileProvider, directoryProvider, symlinkProvider, execProvider };
