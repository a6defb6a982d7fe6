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
import type { ProcessSpecSchema } from '../providers/process/spec.js';
import type { SymlinkSpecSchema } from '../providers/symlink/index.js';

/** The schema of each built-in kind; a built-in kind missing here fails to compile below. */
interface BuiltinSchemas {
  File: typeof FileSpecSchema;
  Directory: typeof DirectorySpecSchema;
  Symlink: typeof SymlinkSpecSchema;
  Exec: typeof ExecSpecSchema;
  Process: typeof ProcessSpecSchema;
}

/** The spec each built-in kind accepts in a manifest. */
export type BuiltinSpecs = { [K in BuiltinKind]: z.input<BuiltinSchemas[K]> };

/** Every kind with a known spec type: the built-ins plus what plug-ins declare. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface KindSpecs extends BuiltinSpecs {}

/** Kind names: the known ones autocomplete, any other string is still accepted. */
export type KindName = keyof KindSpecs | (string & {});

/** The spec type of a kind: its declared input type, or any mapping for an unknown kind. */
export type SpecOf<K extends string> = K extends keyof KindSpecs ? KindSpecs[K] : Record<string, unknown>;

/** The input type of a schema; its output type when the input type was erased to `unknown`. */
export type SchemaInput<S extends z.ZodType> = unknown extends z.input<S> ? z.output<S> : z.input<S>;
