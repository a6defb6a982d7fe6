// Bundles the CLI into one module graph: loading ~400 small ESM modules of
// src/ and ~100 files of its pure-JS dependencies (zod, commander, yaml, pino,
// ...) at every start cost 0.2 CPU-s more than a few bundled chunks do (a
// `status` took 0.63 CPU-s with the packages external, 0.45 bundled). The
// library entry (dist/index.js) and the TypeScript-manifest worker still
// import the installed packages: they run in other module graphs (a user's
// program, a worker thread), so no value crosses between two copies of zod.
// What stays external: native addons and what loads files by path at run
// time (a loader, optional native bindings, OpenTelemetry's global API,
// which its exporters must share with it).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry hashes: start from an empty folder so old chunks do not pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { setpoint: 'src/cli/run.ts' },
  outdir: 'dist/bundle',
  // Code only some commands need (serve: controller, metrics, HTTP) loads on demand.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // For stack traces in development; the npm package leaves maps out (package.json "files").
  sourcemap: 'linked',
  external: ['better-sqlite3', 'pg', 'tsx', '@opentelemetry/*', '@grpc/grpc-js'],
  // Some dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __setpointRequire } from 'node:module'; const require = __setpointRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
