/**
 * The agent's link to the server, beside the local serve loop that enforces
 * the set (api/agent.ts runs both): it holds a long poll for the node's set
 * (with the digest it has), verifies a new set's signature, writes it as the
 * local folder source serve watches, and uploads report batches — from the
 * on-disk buffer, so nothing is lost while the server is away. A jittered
 * check every interval backs the long poll up and tells the server the node
 * is alive. The server being away never stops enforcement.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyDigest } from '../source/signing.js';
import type { Logger } from '../telemetry/index.js';
import { NodeRefusedError, type FleetClient } from './client.js';
import type { ReportCollector } from './collector.js';
import { SET_FILES_DIR, setDigest, shippedFile, type NodeSet } from './compile.js';
import { writeCredential, type Credential } from './credential.js';
import type { ReportBuffer } from './report-buffer.js';
import type { ReportBatch } from './report.js';

/** A batch waits for a quiet time, and at most this many quiet times after the first write. */
const REPORT_MAX_DELAY_FACTOR = 3;
/**
 * While the agent takes a new set — until every resource has a result
 * observed since (fresh-results.ts), or TAKING_MAX_MS — batches wait this
 * quiet time, at most TAKING_MAX_DELAY_MS: a rollout's gate waits for them.
 */
const TAKING_QUIET_MS = 100;
const TAKING_MAX_DELAY_MS = 300;
const TAKING_MAX_MS = 60_000;

export interface AgentLinkOptions {
  client: FleetClient;
  credential: Credential;
  credentialFile: string;
  /** The folder the local serve reads the set from (its only source). */
  setDir: string;
  /** Where the set in force is recorded (digest, revision, signature). */
  setRecordFile: string;
  buffer: ReportBuffer;
  collector: ReportCollector;
  logger: Logger;
  /** The jittered check (±10%). Defaults to the server's fleet.checkInterval, else 5 min. */
  checkIntervalMs?: number;
  /** How long one long poll waits on the server. Defaults to 30 s. */
  waitSeconds?: number;
  /**
   * Called with a new set before it is written: the agent loads the
   * providers of the set's kinds here (its registry starts empty).
   */
  prepare?: (set: NodeSet) => Promise<void>;
  /**
   * Quiet time after local records were written before a batch is collected.
   * Defaults to 1 s: applying a set writes records in several flushes, and
   * one batch for all of them is one upload instead of three.
   */
  reportDebounceMs?: number;
}

/** The set in force, as recorded on disk. */
export interface SetRecord {
  digest: string;
  revision: string;
  receivedAt: string;
  resources: number;
}

export class AgentLink {
  private stopped = false;
  private readonly abort = new AbortController();
  private polling: Promise<void> | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  /** When the first write not batched yet was seen (bounds the debounce). */
  private reportWantedAt: number | undefined;
  /** Taking a new set until then (epoch ms): reports go soon. */
  private takingUntil: number | undefined;
  private flushing: Promise<void> | undefined;
  /** The last report in progress: collects run one at a time (each moves the collector's cursor). */
  private reporting: Promise<void> = Promise.resolve();
  private record: SetRecord | undefined;
  /** The server refused the credential: polls pause until the next check. */
  private refused = false;
  /** Set when a poll or an upload failed: reconnecting backs off up to the check interval. */
  private failures = 0;

  constructor(private readonly options: AgentLinkOptions) {
    if (existsSync(options.setRecordFile))
      this.record = JSON.parse(readFileSync(options.setRecordFile, 'utf8')) as SetRecord;
    mkdirSync(options.setDir, { recursive: true });
  }

  get current(): SetRecord | undefined {
    return this.record;
  }

  private get checkMs(): number {
    return this.options.checkIntervalMs ?? this.options.credential.checkIntervalMs ?? 5 * 60_000;
  }

  start(): void {
    this.polling = this.pollLoop();
    this.scheduleCheck();
    this.reportSoon();
  }

  /** Stops polling; a last collect and upload are tried (briefly) so the server hears the end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    clearTimeout(this.checkTimer);
    clearTimeout(this.reportTimer);
    await this.polling;
    await this.flushing;
    await this.report(false).catch(() => undefined);
  }

  /**
   * Local records were written (serve's recorder flushed): a batch after a
   * quiet time, but never later than REPORT_MAX_DELAY_FACTOR quiet times
   * after the first write. Without that bound, records written more often
   * than the quiet time (an HttpCheck every 200 ms) pushed the batch back
   * forever, and the server heard from the node only at its next check.
   * While the agent takes a new set, TAKING_QUIET_MS and TAKING_MAX_DELAY_MS
   * instead.
   */
  reportSoon(): void {
    if (this.stopped) return;
    const now = Date.now();
    const taking = this.takingUntil !== undefined && now < this.takingUntil;
    const normal = this.options.reportDebounceMs ?? 1000;
    const quiet = taking ? Math.min(TAKING_QUIET_MS, normal) : normal;
    this.reportWantedAt ??= now;
    const latest =
      this.reportWantedAt +
      (taking ? Math.min(TAKING_MAX_DELAY_MS, normal) : normal * REPORT_MAX_DELAY_FACTOR);
    clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(
      () => {
        this.reportWantedAt = undefined;
        void this.report(false);
      },
      Math.max(0, Math.min(quiet, latest - now)),
    );
    this.reportTimer.unref();
  }

  private scheduleCheck(): void {
    if (this.stopped) return;
    this.checkTimer = setTimeout(
      () => {
        this.refused = false;
        void this.report(true);
        this.scheduleCheck();
      },
      this.checkMs * (0.9 + Math.random() * 0.2),
    );
    this.checkTimer.unref();
  }

  private async pollLoop(): Promise<void> {
    const { client, logger } = this.options;
    while (!this.stopped) {
      if (this.refused) {
        await this.pause(this.checkMs);
        continue;
      }
      try {
        const answer = await client.desired(
          this.record?.digest,
          this.options.waitSeconds ?? 30,
          this.abort.signal,
        );
        const recovered = this.failures > 0;
        if (recovered) logger.info({ server: this.options.credential.server }, 'server reachable again');
        this.failures = 0;
        if (answer.rotate) await this.rotate();
        if (!('unchanged' in answer)) {
          await this.options.prepare?.(answer);
          this.apply(answer);
        }
        // Reports kept while the server was away go now (otherwise each report uploads itself).
        if (recovered) void this.flush();
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof NodeRefusedError) {
          this.refused = true;
          logger.error({ err: err.message }, 'the server refused this node; enforcing the last set');
          continue;
        }
        this.failures++;
        const wait =
          Math.min(this.checkMs, 500 * 2 ** Math.min(this.failures, 10)) * (0.5 + Math.random() * 0.5);
        logger.warn(
          { err: (err as Error).message, retryInMs: Math.round(wait) },
          'cannot get the set from the server; enforcing the last set',
        );
        await this.pause(wait);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /**
   * Verifies a new set and makes it the local source: its files first (each
   * checked against the sha256 it is named by, which the digest covers), then
   * the manifest, atomically (serve sees the whole file or none). JSON, not
   * YAML: a thousand agents on one host write and parse it in a fraction of
   * the time, and serve loads JSON manifests like YAML ones.
   */
  private apply(set: NodeSet): void {
    const { logger, credential, setDir } = this.options;
    // The digest is recomputed here: a set whose documents do not match its digest is not the server's.
    if (setDigest(set.documents) !== set.digest)
      throw new Error(`set ${set.digest.slice(0, 12)} does not match its digest`);
    if (credential.publicKey) verifyDigest(set.digest, set.signature, credential.publicKey);
    const files = this.writeFiles(set);
    const file = join(setDir, 'set.json');
    // An agent of an earlier version wrote set.yaml: one manifest only.
    rmSync(join(setDir, 'set.yaml'), { force: true });
    if (set.documents.length === 0) rmSync(file, { force: true });
    else {
      const tmp = join(setDir, '.set.json.tmp');
      writeFileSync(tmp, JSON.stringify(set.documents, null, 1) + '\n');
      renameSync(tmp, file);
    }
    this.pruneFiles(files);
    for (const note of set.notes) logger.warn({ digest: set.digest }, note);
    this.record = {
      digest: set.digest,
      revision: set.revision,
      receivedAt: new Date().toISOString(),
      resources: set.documents.length,
    };
    const tmp = this.options.setRecordFile + '.tmp';
    writeFileSync(tmp, JSON.stringify(this.record));
    renameSync(tmp, this.options.setRecordFile);
    logger.info(
      { digest: set.digest, revisionId: set.revision, resources: set.documents.length },
      `set ${set.digest.slice(0, 12)} of revision ${set.revision} received`,
    );
    this.takingUntil = Date.now() + TAKING_MAX_MS;
    this.reportSoon();
  }

  /** Writes the set's files that are not on disk yet; returns the names the set uses. */
  private writeFiles(set: NodeSet): Set<string> {
    const names = new Set(Object.keys(set.files ?? {}));
    if (!names.size) return names;
    const dir = join(this.options.setDir, SET_FILES_DIR);
    mkdirSync(dir, { recursive: true });
    for (const [sha, base64] of Object.entries(set.files ?? {})) {
      const data = shippedFile(sha, base64);
      if (!data)
        throw new Error(`set ${set.digest.slice(0, 12)}: file ${sha.slice(0, 12)} does not match its name`);
      const path = join(dir, sha);
      if (existsSync(path)) continue;
      writeFileSync(path + '.tmp', data, { mode: 0o600 });
      renameSync(path + '.tmp', path);
    }
    return names;
  }

  /** Removes files no longer named by the set in force (after its manifest was replaced). */
  private pruneFiles(keep: Set<string>): void {
    const dir = join(this.options.setDir, SET_FILES_DIR);
    let present: string[];
    try {
      present = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of present) if (!keep.has(name)) rmSync(join(dir, name), { force: true });
  }

  private async rotate(): Promise<void> {
    const { token } = await this.options.client.rotate();
    const credential = { ...this.options.credential, token };
    // The new token on disk first: a crash right after still has a working credential.
    writeCredential(this.options.credentialFile, credential);
    this.options.credential.token = token;
    this.options.client.setToken(token);
    this.options.logger.info({}, 'node credential rotated');
  }

  /** Collects a batch (if anything changed, or as a heartbeat) and uploads it; one collect at a time. */
  private report(heartbeat: boolean): Promise<void> {
    const run = this.reporting.then(() => this.collectAndSend(heartbeat));
    this.reporting = run.catch(() => undefined);
    return run;
  }

  /**
   * With nothing waiting on disk, the batch goes straight to the server and
   * reaches the disk only if that fails; either way the collector's cursor
   * moves after. A crash before it moves collects the same batch again (same
   * id), which the server takes once.
   */
  private async collectAndSend(heartbeat: boolean): Promise<void> {
    try {
      const set = this.record;
      const got = await this.options.collector.collect(set ?? {}, heartbeat);
      // Settled on the set in force: not on one a poll replaced meanwhile.
      if (this.options.collector.settled && set === this.record) this.takingUntil = undefined;
      if (got) {
        const direct = this.options.buffer.size() === 0 && !this.flushing && !this.refused;
        if (!direct || !(await this.send(got.batch))) this.options.buffer.add(got.batch);
        await got.commit();
      }
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'cannot collect a report batch');
    }
    await this.flush();
  }

  /** Uploads one batch; false (logged) when the server did not take it. */
  private async send(batch: ReportBatch): Promise<boolean> {
    try {
      await this.options.client.report(batch);
      return true;
    } catch (err) {
      this.uploadFailed(err as Error);
      return false;
    }
  }

  private uploadFailed(err: Error): void {
    if (err instanceof NodeRefusedError) this.refused = true;
    this.options.logger.warn(
      { err: err.message, buffered: this.options.buffer.size() },
      'cannot upload reports; kept on disk',
    );
  }

  /** Uploads buffered batches, oldest first, until one fails. */
  flush(): Promise<void> {
    if (!this.flushing) {
      const run = this.upload();
      this.flushing = run;
      // Cleared after the run, never before it is set (an empty buffer finishes at once).
      void run.finally(() => {
        if (this.flushing === run) this.flushing = undefined;
      });
    }
    return this.flushing;
  }

  private async upload(): Promise<void> {
    await Promise.resolve();
    try {
      // Until empty: batches added while uploading go too.
      for (
        let pending = this.options.buffer.pending();
        pending.length;
        pending = this.options.buffer.pending()
      )
        for (const batch of pending) {
          await this.options.client.report(batch);
          this.options.buffer.delivered(batch.id);
        }
    } catch (err) {
      this.uploadFailed(err as Error);
    }
  }
}
