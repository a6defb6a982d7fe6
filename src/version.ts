/** The package's version and the identity of the running code (for cache keys). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

/** From the nearest package.json above this file (works bundled or not). */
export const VERSION: string = (() => {
  let dir = dirname(here);
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    dir = dirname(dir);
  }
  return 'unknown';
})();

/** Changes whenever the running code changes, released or not. */
export function codeIdentity(): string {
  try {
    const st = statSync(here);
    return `${VERSION} ${here} ${st.size} ${st.mtimeMs}`;
  } catch {
    return VERSION;
  }
}
