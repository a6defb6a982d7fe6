// Bundles the CLI's own code into one file: loading ~400 small ESM modules of
// src/ at every start costs more than one file does. Packages stay external
// (installed as dependencies): the library entry (dist/index.js) and the
// TypeScript-manifest worker import them too, so bundling them would ship
// every library twice and run two copies of zod side by side.
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
  packages: 'external',
  // Some dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __setpointRequire } from 'node:module'; const require = __setpointRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
