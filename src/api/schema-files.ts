/** File names of the schemas, as shipped in the package's schemas/ folder and written by `init`. Apart from json-schemas.ts so the CLI's help text names them without loading zod. */
export const SCHEMA_FILES = {
  manifest: 'manifest.schema.json',
  settings: 'setpoint.schema.json',
} as const;
