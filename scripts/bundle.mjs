// Bundles the CLI into one file: loading ~400 small ESM modules (zod alone has
// hundreds) costs ~70 ms at every start; one bundled file costs a fraction.
// better-sqlite3 stays external (native addon).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry hashes: start from an empty folder so old chunks do not pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { setpoint: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  // Code only some commands need (serve: controller, metrics, HTTP) loads on demand.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'pg', 'pg-native', '@parcel/watcher', 'playwright-core'],
  // Some dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __setpointRequire } from 'node:module'; const require = __setpointRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
