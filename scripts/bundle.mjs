// Bundles the CLI into one CommonJS file, dist/bundle/setpoint.cjs, that
// bin/setpoint.js compiles with V8's code cache (src/cli/code-cache.ts).
// Loading ~400 small ESM modules of src/ and ~100 files of its pure-JS
// dependencies (zod, commander, yaml, pino, ...) at every start cost 0.2
// CPU-s more than a bundle does; loading the bundle as ~250 ESM chunks still
// cost a fifth of a short command in the ESM loader and the compiler, which
// one cached script does not (Node 20 has no compile cache for ES modules).
// Code only some commands need (serve: controller, metrics, HTTP) is behind
// dynamic imports, which esbuild keeps lazy: it is compiled and evaluated on
// first use. The library entry (dist/index.js) and the TypeScript-manifest
// worker still import the installed packages: they run in other module
// graphs (a user's program, a worker thread), so no value crosses between
// two copies of zod. What stays external: native addons and what loads files
// by path at run time (a loader, optional native bindings, OpenTelemetry's
// global API, which its exporters must share with it).
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const out = 'dist/bundle/setpoint.cjs';

// Starts from an empty folder: a code cache never outlives the bundle it was made from.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['src/cli/run.ts'],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // For stack traces in development; the npm package leaves maps out (package.json "files").
  sourcemap: 'linked',
  external: ['better-sqlite3', 'pg', 'tsx', '@opentelemetry/*', '@grpc/grpc-js'],
  // The sources are ES modules: import.meta.url is the bundle's own URL (files are found relative to it).
  define: { 'import.meta.url': '__setpointUrl', 'import.meta.resolve': '__setpointResolve' },
  banner: {
    js: [
      "var __setpointUrl = require('node:url').pathToFileURL(__filename).href;",
      "var __setpointResolve = (id) => require('node:url').pathToFileURL(require.resolve(id)).href;",
    ].join('\n'),
  },
  logLevel: 'warning',
});

// The build's id, on the last line (lines above keep their source-map positions): the code cache is named after it.
const code = readFileSync(out, 'utf8');
const id = createHash('sha256').update(code).digest('hex').slice(0, 16);
writeFileSync(out, `${code}// setpoint-build ${id}\n`);
