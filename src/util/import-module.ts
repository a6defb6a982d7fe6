/**
 * import() of a module outside the CLI bundle (OpenTelemetry, a plugin).
 * The CLI bundle runs as a vm.Script compiled with V8's code cache
 * (cli/code-cache.ts), and on Node 20 an import() inside a script compiled
 * from a code cache finds no loader (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
 * The CLI's loader, an ordinary module, lends its own import() through this
 * global; everywhere else (the library, tests under tsx) import() is used.
 */
const LENT = Symbol.for('setpoint.import');

type Importer = (specifier: string) => Promise<unknown>;

/** Called by the CLI's loader before it runs the bundle. */
export function lendImport(importer: Importer): void {
  (globalThis as Record<symbol, unknown>)[LENT] = importer;
}

export function importModule<T>(specifier: string): Promise<T> {
  const lent = (globalThis as Record<symbol, unknown>)[LENT] as Importer | undefined;
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}
