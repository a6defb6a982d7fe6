/**
 * A cache of compiled manifests, keyed by content: the sha256 of a file's
 * bytes, its path and a fingerprint of everything validation depends on
 * (setpoint's code, the provider kinds and versions, the default namespace).
 * A hit skips parsing and schema validation, which dominate a no-op run over
 * thousands of resources; it can never be stale, because any change to an
 * input changes the key. Only files without problems are cached, and
 * cross-file checks (duplicates, dependencies, cycles) always run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from './types.js';

export interface CompiledCache {
  key(file: string, bytes: Buffer): string;
  get(file: string, key: string): Resource[] | undefined;
  set(file: string, key: string, resources: readonly Resource[]): void;
}

export class FileCompiledCache implements CompiledCache {
  constructor(
    private readonly dir: string,
    private readonly fingerprint: string,
  ) {}

  key(file: string, bytes: Buffer): string {
    return createHash('sha256')
      .update(this.fingerprint)
      .update('\0')
      .update(file)
      .update('\0')
      .update(bytes)
      .digest('hex');
  }

  private pathFor(file: string): string {
    return join(this.dir, createHash('sha256').update(file).digest('hex').slice(0, 32) + '.json');
  }

  get(file: string, key: string): Resource[] | undefined {
    let text: string;
    try {
      text = readFileSync(this.pathFor(file), 'utf8');
    } catch {
      return undefined;
    }
    // The key is the first line, so a stale entry is rejected without parsing it.
    const newline = text.indexOf('\n');
    if (newline < 0 || text.slice(0, newline) !== key) return undefined;
    try {
      return JSON.parse(text.slice(newline + 1)) as Resource[];
    } catch {
      return undefined;
    }
  }

  set(file: string, key: string, resources: readonly Resource[]): void {
    // A cache that cannot be written is only slower, never wrong.
    try {
      mkdirSync(this.dir, { recursive: true });
      const path = this.pathFor(file);
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, key + '\n' + JSON.stringify(resources));
      renameSync(tmp, path);
    } catch {
      // ignore
    }
  }
}
