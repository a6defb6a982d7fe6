// Builds the dashboard into the package (dist/web), served by `setpoint serve` at /.
// No inline scripts or styles in the output: the server's Content-Security-Policy forbids them.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Small assets become files, not data: URLs inlined into CSS/JS.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});
