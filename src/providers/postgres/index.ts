/**
 * The PostgreSQL kinds: PostgresRole, PostgresDatabase, PostgresSchema,
 * PostgresGrant and PostgresExtension, one module each, sharing one
 * connection model (./connection.ts) and safe SQL quoting (./sql.ts).
 */
export { postgresRoleProvider, PostgresRoleSpecSchema, type PostgresRoleSpec } from './role.js';
export {
  postgresDatabaseProvider,
  PostgresDatabaseSpecSchema,
  type PostgresDatabaseSpec,
} from './database.js';
export { postgresSchemaProvider, PostgresSchemaSpecSchema, type PostgresSchemaSpec } from './pg-schema.js';
export { postgresGrantProvider, PostgresGrantSpecSchema, type PostgresGrantSpec } from './grant.js';
export {
  postgresExtensionProvider,
  PostgresExtensionSpecSchema,
  type PostgresExtensionSpec,
} from './extension.js';
export { ConnectionSchema, closePools, type ConnectionSpec } from './connection.js';
export { scramVerifier, passwordMatches } from './sql.js';
