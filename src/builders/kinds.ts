/**
 * Spec types per kind, derived by TypeScript from the providers' zod schemas
 * (their input types: fields with defaults are optional). `KindSpecs` is an
 * interface so plug-ins can add their kinds to it:
 *
 *     declare module 'setpoint' {
 *       interface KindSpecs { Widget: z.input<typeof WidgetSpecSchema> }
 *     }
 *
 * after which `resource('Widget', ...)` checks its spec like a built-in's.
 */
import type * as z from 'zod';
import type { BuiltinKind } from '../providers/index.js';
import type { DirectorySpecSchema } from '../providers/directory/index.js';
import type { ExecSpecSchema } from '../providers/exec/index.js';
import type { FileSpecSchema } from '../providers/file/spec.js';
import type { FileEditSpecSchema } from '../providers/file-edit/spec.js';
import type { CronSpecSchema } from '../providers/cron/spec.js';
import type { ProcessSpecSchema } from '../providers/process/spec.js';
import type { SymlinkSpecSchema } from '../providers/symlink/index.js';
import type { PackageSpecSchema } from '../providers/package/spec.js';
import type { UserSpecSchema } from '../providers/user/spec.js';
import type { GroupSpecSchema } from '../providers/group/index.js';
import type { ServiceSpecSchema } from '../providers/service/spec.js';
import type { HttpCheckSpecSchema } from '../providers/http-check/spec.js';

import type {
  PostgresDatabaseSpecSchema,
  PostgresExtensionSpecSchema,
  PostgresGrantSpecSchema,
  PostgresRoleSpecSchema,
  PostgresSchemaSpecSchema,
} from '../providers/postgres/index.js';

import type { ObjectiveSpecSchema, TargetSpecSchema } from '../providers/target/spec.js';

/* eslint-disable @typescript-eslint/no-empty-object-type -- empty interfaces give the schemas' input types names users can import */
/** A File's spec as a manifest writes it. */
export interface FileSpecInput extends z.input<typeof FileSpecSchema> {}
/** A Directory's spec as a manifest writes it. */
export interface DirectorySpecInput extends z.input<typeof DirectorySpecSchema> {}
/** A Symlink's spec as a manifest writes it. */
export interface SymlinkSpecInput extends z.input<typeof SymlinkSpecSchema> {}
/** An Exec's spec as a manifest writes it. */
export interface ExecSpecInput extends z.input<typeof ExecSpecSchema> {}
/** A Process's spec as a manifest writes it. */
export interface ProcessSpecInput extends z.input<typeof ProcessSpecSchema> {}
/** A FileEdit's spec as a manifest writes it. */
export interface FileEditSpecInput extends z.input<typeof FileEditSpecSchema> {}
/** A Cron's spec as a manifest writes it. */
export interface CronSpecInput extends z.input<typeof CronSpecSchema> {}

/** A Package's spec as a manifest writes it. */
export interface PackageSpecInput extends z.input<typeof PackageSpecSchema> {}
/** A User's spec as a manifest writes it. */
export interface UserSpecInput extends z.input<typeof UserSpecSchema> {}
/** A Group's spec as a manifest writes it. */
export interface GroupSpecInput extends z.input<typeof GroupSpecSchema> {}
/** A Service's spec as a manifest writes it. */
export interface ServiceSpecInput extends z.input<typeof ServiceSpecSchema> {}
/** An HttpCheck's spec as a manifest writes it. */
export interface HttpCheckSpecInput extends z.input<typeof HttpCheckSpecSchema> {}

/** A PostgresRole's spec as a manifest writes it. */
export interface PostgresRoleSpecInput extends z.input<typeof PostgresRoleSpecSchema> {}
/** A PostgresDatabase's spec as a manifest writes it. */
export interface PostgresDatabaseSpecInput extends z.input<typeof PostgresDatabaseSpecSchema> {}
/** A PostgresSchema's spec as a manifest writes it. */
export interface PostgresSchemaSpecInput extends z.input<typeof PostgresSchemaSpecSchema> {}
/** A PostgresGrant's spec as a manifest writes it. */
export interface PostgresGrantSpecInput extends z.input<typeof PostgresGrantSpecSchema> {}
/** A PostgresExtension's spec as a manifest writes it. */
export interface PostgresExtensionSpecInput extends z.input<typeof PostgresExtensionSpecSchema> {}

/** A Target's spec as a manifest writes it. */
export interface TargetSpecInput extends z.input<typeof TargetSpecSchema> {}
/** An Objective's spec as a manifest writes it. */
export interface ObjectiveSpecInput extends z.input<typeof ObjectiveSpecSchema> {}

interface SpecInputs {
  File: FileSpecInput;
  Directory: DirectorySpecInput;
  Symlink: SymlinkSpecInput;
  Exec: ExecSpecInput;
  Process: ProcessSpecInput;
  FileEdit: FileEditSpecInput;
  Cron: CronSpecInput;
  Package: PackageSpecInput;
  User: UserSpecInput;
  Group: GroupSpecInput;
  Service: ServiceSpecInput;
  HttpCheck: HttpCheckSpecInput;

  PostgresRole: PostgresRoleSpecInput;
  PostgresDatabase: PostgresDatabaseSpecInput;
  PostgresSchema: PostgresSchemaSpecInput;
  PostgresGrant: PostgresGrantSpecInput;
  PostgresExtension: PostgresExtensionSpecInput;

  Target: TargetSpecInput;
  Objective: ObjectiveSpecInput;
}

/** The spec each built-in kind accepts in a manifest; a built-in kind missing from SpecInputs fails to compile here. */
export type BuiltinSpecs = { [K in BuiltinKind]: SpecInputs[K] };

/** Every kind with a known spec type: the built-ins plus what plug-ins declare. */
export interface KindSpecs extends BuiltinSpecs {}
/* eslint-enable @typescript-eslint/no-empty-object-type */

/** Kind names: the known ones autocomplete, any other string is still accepted. */
export type KindName = keyof KindSpecs | (string & {});

/** The spec type of a kind: its declared input type, or any mapping for an unknown kind. */
export type SpecOf<K extends string> = K extends keyof KindSpecs ? KindSpecs[K] : Record<string, unknown>;

/** The input type of a schema; its output type when the input type was erased to `unknown`. */
export type SchemaInput<S extends z.ZodType> = unknown extends z.input<S> ? z.output<S> : z.input<S>;
