/**
 * The built-in web dashboard: the files `npm run build` writes to dist/web
 * (web/ built by vite), served at `/` with the app's own paths (/oncall,
 * /executive, /r/Kind/ns/name) answered by index.html. Hashed assets are
 * cached for a year (their name changes with their content), index.html is
 * revalidated every time, and a Content-Security-Policy allows nothing but
 * this origin: no inline scripts, no other hosts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the single-page app routes itself (answered with index.html). */
const APP_PATHS = /^\/(?:|oncall|executive|signin|r\/[^?#]*)$/;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
};

interface Asset {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  immutable: boolean;
}

/** dist/web of the installed package: found by walking up from this module (src/server or dist/bundle/chunks). */
export function defaultDashboardDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** Every file of the built dashboard, read once (it is small) and gzipped when that helps. */
export function loadDashboard(dir: string | undefined): Map<string, Asset> | undefined {
  if (!dir || !existsSync(join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const url = '/' + relative(dir, path).split(sep).join('/');
        const body = readFileSync(path);
        const type = TYPES[extname(name)] ?? 'application/octet-stream';
        const gzip = /^(text|application\/(json|manifest)|image\/svg)/.test(type)
          ? gzipSync(body)
          : undefined;
        assets.set(url, {
          body,
          gzip: gzip && gzip.length < body.length ? gzip : undefined,
          type,
          immutable: url.startsWith('/assets/'),
        });
      }
    }
  };
  walk(dir);
  return assets;
}

function send(c: Context, asset: Asset): Response {
  const headers: Record<string, string> = {
    'content-type': asset.type,
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    vary: 'accept-encoding',
  };
  const gzip = asset.gzip && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  if (gzip) headers['content-encoding'] = 'gzip';
  const body = gzip ? asset.gzip! : asset.body;
  headers['content-length'] = String(body.length);
  return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
}

/**
 * Serves the dashboard from `dir` (default: the package's dist/web). When it
 * was not built, `/` says so instead of a bare 404.
 */
export function mountDashboard(app: Hono, dir = defaultDashboardDir()): void {
  let assets: Map<string, Asset> | undefined | null = null;
  const load = () => (assets === null ? (assets = loadDashboard(dir)) : assets);
  app.on(['GET', 'HEAD'], '*', async (c, next) => {
    const path = c.req.path;
    const isApp = APP_PATHS.test(path);
    if (!isApp && !path.startsWith('/assets/') && !/^\/[\w.-]+\.(svg|png|ico|webmanifest)$/.test(path))
      return next();
    const files = load();
    if (!files)
      return c.json(
        {
          error: {
            code: 'SETPOINT_NOT_FOUND',
            message: 'the web dashboard is not built into this installation',
            hint: 'run `npm run build` in the setpoint checkout (it builds web/ into dist/web); the API is at /api/v1 and /openapi.json',
          },
        },
        404,
      );
    const asset = files.get(isApp ? '/index.html' : path);
    if (!asset) return next();
    return send(c, asset);
  });
}
