/**
 * The worker that runs TypeScript manifests, seen from the engine's side:
 * one worker, one load at a time, started on demand, stopped when idle (so a
 * CLI run exits at once) and replaced after a number of loads or when a
 * manifest hangs, exits or throws from a stray timer.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './typescript-worker.js';

/** Loads per worker before it is replaced (each fresh import leaves a module graph behind). */
const LOADS_PER_WORKER = 50;
/** An idle worker stops after this long. */
const IDLE_MS = 5_000;

export class LoaderHost {
  private worker: Worker | undefined;
  private loads = 0;
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;
  /** The tsconfig.json the current worker's tsx applies. */
  private tsconfig: string | undefined;

  /** Loads one manifest after the loads before it; never rejects for the manifest's own faults. */
  load(req: Omit<WorkerRequest, 'id'>, timeoutMs: number): Promise<WorkerReply> {
    const run = this.queue.then(() => this.loadNow(req, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for pending loads, then stops the worker. */
  async close(): Promise<void> {
    await this.queue;
    await this.stop();
  }

  private loadNow(req: Omit<WorkerRequest, 'id'>, timeoutMs: number): Promise<WorkerReply> {
    clearTimeout(this.idle);
    // tsx takes one tsconfig per registration: a manifest under another one gets a new worker.
    const tsconfig = nearestTsconfig(req.file);
    if (this.loads >= LOADS_PER_WORKER || tsconfig !== this.tsconfig) void this.stop();
    const worker = (this.worker ??= this.start(tsconfig));
    this.loads++;
    worker.ref();
    const id = this.nextId++;
    return new Promise<WorkerReply>((done) => {
      const finish = (reply: WorkerReply, replaceWorker = false) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (replaceWorker) void this.stop();
        else if (this.worker === worker) {
          worker.unref();
          this.idle = setTimeout(() => void this.stop(), IDLE_MS).unref();
        }
        done(reply);
      };
      const fail = (name: string, message: string, hint: string) =>
        finish({ id, ok: false, error: { name, message, hint } }, true);
      const onMessage = (reply: WorkerReply) => {
        if (reply.id === id) finish(reply);
      };
      // Thrown outside the import, by the manifest's own timers or promises.
      const onError = (err: Error) =>
        finish({ id, ok: false, error: { name: err.name, message: err.message, stack: err.stack } }, true);
      const onExit = (code: number) =>
        fail(
          'LoaderExit',
          `the manifest stopped the loader (exit code ${code})`,
          'a manifest must not call process.exit',
        );
      const timer = setTimeout(
        () =>
          fail(
            'LoaderTimeout',
            `the manifest did not finish loading within ${timeoutMs} ms`,
            'look for a top-level await or an async default export that never settles',
          ),
        timeoutMs,
      );
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ ...req, id } satisfies WorkerRequest);
    });
  }

  private start(tsconfig: string | undefined): Worker {
    this.loads = 0;
    this.tsconfig = tsconfig;
    const entry = workerEntry();
    const fromSource = entry.endsWith('.ts');
    const workerData: WorkerSetup = { tsconfig, tsxRegistered: fromSource };
    // The worker's stdout and stderr flow into setpoint's; the worker sends a manifest's stdout to stderr.
    // Under tsx (tests, development) the worker's own .ts source needs tsx registered first.
    const worker = fromSource
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => {` +
            ` tsx.register({ tsconfig: ${JSON.stringify(tsconfig ?? false)} });` +
            ` return import(${JSON.stringify(pathToFileURL(entry).href)}); });`,
          { eval: true, workerData },
        )
      : new Worker(entry, { workerData });
    // Between loads, an error from a manifest's leftover timer or an exit must not reach the engine.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
    });
    return worker;
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    clearTimeout(this.idle);
    if (worker) await worker.terminate();
  }
}

/**
 * The worker's file: beside this module (dist/manifest, or src/manifest under
 * tsx), or dist/manifest seen from the CLI bundle (dist/bundle[/chunks]).
 */
function workerEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'typescript-worker.js'),
    join(here, 'typescript-worker.ts'),
    join(here, '..', 'manifest', 'typescript-worker.js'),
    join(here, '..', '..', 'manifest', 'typescript-worker.js'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`setpoint is installed incompletely: no typescript-worker.js near ${here}`);
  return found;
}

/** The tsconfig.json nearest to a manifest, which tsx applies to it. */
export function nearestTsconfig(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
