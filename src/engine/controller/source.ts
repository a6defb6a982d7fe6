/**
 * The desired-state source of `serve`: manifest folders, watched. Each
 * change yields a new revision, admitted as a whole only if it validates
 * (parse, schemas, ids, dependencies, referenced files); a broken edit is
 * refused with its diagnostics, recorded and audited, and the previous
 * revision stays in force. Nothing of a refused revision is applied.
 */
import { watch, type FSWatcher, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Diagnostic } from '../../manifest/index.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import type { RevisionRecord } from '../../store/index.js';
import type { DesiredState } from '../desired.js';
import { checkDesired } from '../../source/admission.js';

export interface Admission {
  revision: RevisionRecord;
  desired?: DesiredState;
  diagnostics: Diagnostic[];
}

export interface ManifestSourceOptions {
  paths: readonly string[];
  registry: ProviderRegistry;
  load(paths: readonly string[]): DesiredState;
  /** Called with every new revision, admitted or refused. */
  onRevision(admission: Admission): Promise<void>;
  /** Quiet time after the last file event before reloading. Defaults to 150 ms. */
  debounceMs?: number;
  onError?(err: Error): void;
}

export class ManifestSource {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastDigest: string | undefined;
  private loading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: ManifestSourceOptions) {}

  /** Loads the first revision, then watches for changes. */
  async start(): Promise<void> {
    await this.reload();
    for (const p of this.options.paths) {
      let dir = p;
      try {
        if (!statSync(p).isDirectory()) dir = dirname(p);
      } catch {
        dir = dirname(p);
      }
      try {
        const w = watch(dir, { recursive: true, persistent: false }, (_event, name) => {
          // The state folder (.setpoint), .git and node_modules live here too; their writes are not edits.
          if (name && String(name).split('/').some((seg) => seg.startsWith('.') || seg === 'node_modules')) return;
          this.schedule();
        });
        w.on('error', (err) => this.options.onError?.(err));
        this.watchers.push(w);
      } catch (err) {
        this.options.onError?.(err as Error);
      }
    }
  }

  /** Reloads now (a `setpoint sync` or a resync). */
  reload(): Promise<void> {
    this.loading = this.loading.then(() => this.load()).catch((err: unknown) => this.options.onError?.(err as Error));
    return this.loading;
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 150);
  }

  private async load(): Promise<void> {
    if (this.stopped) return;
    const desired = this.options.load(this.options.paths);
    const { diagnostics, digest } = await checkDesired(desired, this.options.registry);
    const admitted = !diagnostics.some((d) => d.severity === 'error');
    // The same content again (an editor's save without change): nothing new.
    const key = admitted ? digest : `refused:${JSON.stringify(diagnostics.map((d) => [d.file, d.line, d.summary]))}`;
    if (key === this.lastDigest) return;
    this.lastDigest = key;
    const revision: RevisionRecord = {
      id: admitted ? digest.slice(0, 16) : `refused-${Date.now().toString(36)}`,
      digest: admitted ? digest : '',
      source: desired.source,
      createdAt: new Date().toISOString(),
      resourceCount: desired.resources.length,
      origin: desired.origin,
      admitted,
      diagnostics: diagnostics.length ? diagnostics : undefined,
    };
    await this.options.onRevision({ revision, desired: admitted ? desired : undefined, diagnostics });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
