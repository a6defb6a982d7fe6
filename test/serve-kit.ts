/**
 * Building blocks of the `setpoint serve` integration tests (test/serve-*.test.ts):
 * a temp project with its own setpoint.yaml, manifests and target folder, and
 * readers of its state.
 *
 * The readers (status, record, events, approvals) open the project's state
 * store read-only through the API in this process, as `setpoint status
 * --json` does in its own: polling them in `eventually` loops costs a store
 * read, not a CLI start (~1 s of CPU each). The CLI's JSON is covered by the
 * tests that call `p.ok(['status', '--json'])` and friends explicitly.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Setpoint } from '../src/api/index.js';
import { cli, tempDir, writeFiles, type CliOptions, type CliResult } from './helpers.js';
import { plain, readState } from './state-reader.js';

/** The fields of `status --json` / `events --json` the tests read. */
export interface StatusRecord {
  id: string;
  sync: string;
  health: string;
  blockedUntil?: string;
  held?: { reason: string; message: string; since: string; until?: string; window?: string };
  approvalId?: string;
  lastError?: string;
  driftedSince?: string;
  conditions: Array<{ type: string; status: string; reason: string; message: string }>;
}

export interface EventRow {
  time: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  resourceId?: string;
  revisionId?: string;
}

export interface ApprovalRow {
  id: string;
  resourceId: string;
  op: string;
  state: string;
  changes: unknown[];
}

export interface Project {
  dir: string;
  /** Where the managed targets live (outside the watched manifest folder). */
  out: string;
  path(...parts: string[]): string;
  write(files: Record<string, string>): void;
  /** `setpoint ARGS` in the project folder. */
  run(args: string[], options?: CliOptions): CliResult;
  /** Like run, and fails the test unless it exits 0. */
  ok(args: string[], options?: CliOptions): CliResult;
  /** What `status --json` lists (its `resources`), read from the state in this process. */
  status(): Promise<StatusRecord[]>;
  record(id: string): Promise<StatusRecord | undefined>;
  /** What `events [ID] --json -n 500` prints, read from the state in this process. */
  events(id?: string): Promise<EventRow[]>;
  /** What `approvals --json` prints (pending ones), read from the state in this process. */
  approvals(): Promise<ApprovalRow[]>;
  /** Runs `body` with the project's API opened read-only in this process (as a read-only CLI command opens it). */
  api<T>(body: (api: Setpoint) => Promise<T>): Promise<T>;
  read(path: string): string;
  mode(path: string): string;
}

/** Default settings: a short resync so anything a watch missed is caught quickly. */
export const FAST = 'reconcile:\n  resync: 2s\n  backoff: { base: 50ms, max: 2s }\n';

/** A temp project: setpoint.yaml (`settings`), `files` (manifests/...), and an empty out/ folder for targets. */
export function project(files: Record<string, string>, settings = FAST): Project {
  const dir = tempDir('setpoint-serve-');
  writeFiles(dir, { 'setpoint.yaml': settings, 'out/.keep': '', ...files });
  const run = (args: string[], options: CliOptions = {}) => cli(args, { cwd: dir, ...options });
  const p: Project = {
    dir,
    out: join(dir, 'out'),
    path: (...parts) => join(dir, ...parts),
    write: (f) => writeFiles(dir, f),
    run,
    ok(args, options) {
      const r = run(args, options);
      if (r.code !== 0)
        throw new Error(
          `setpoint ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n--- stderr ---\n${r.stderr}`,
        );
      return r;
    },
    status: () => p.api(async (api) => plain<StatusRecord[]>((await api.status()).resources)),
    record: async (id) => (await p.status()).find((r) => r.id === id),
    events: (id) => p.api(async (api) => plain<EventRow[]>(await api.events(id, 500))),
    approvals: () => p.api(async (api) => plain<ApprovalRow[]>(await api.approvals('pending'))),
    api: (body) => readState({ cwd: dir }, body),
    read: (path) => readFileSync(path, 'utf8'),
    mode: (path) => (statSync(path).mode & 0o777).toString(8).padStart(4, '0'),
  };
  return p;
}

export interface FileOptions {
  mode?: string;
  remediation?: 'auto' | 'alert' | 'approve';
  priority?: 'critical' | 'high' | 'normal' | 'low';
  dependsOn?: string[];
  labels?: Record<string, string>;
}

/** One File document; content as a JSON string (valid YAML). */
export function fileDoc(name: string, path: string, content: string, o: FileOptions = {}): string {
  const lines = ['kind: File', 'metadata:', `  name: ${name}`];
  if (o.labels) lines.push(`  labels: ${JSON.stringify(o.labels)}`);
  lines.push(
    'spec:',
    `  path: ${path}`,
    `  content: ${JSON.stringify(content)}`,
    `  mode: "${o.mode ?? '0644'}"`,
  );
  if (o.dependsOn) lines.push(`dependsOn: ${JSON.stringify(o.dependsOn)}`);
  if (o.remediation || o.priority) {
    lines.push('lifecycle:');
    if (o.remediation) lines.push(`  remediation: ${o.remediation}`);
    if (o.priority) lines.push(`  priority: ${o.priority}`);
  }
  return lines.join('\n') + '\n';
}

export function dirDoc(name: string, path: string): string {
  return `kind: Directory\nmetadata:\n  name: ${name}\nspec:\n  path: ${path}\n  mode: "0755"\n`;
}

export function docs(...documents: string[]): string {
  return documents.join('---\n');
}

/** Index of the first event matching `reason` (and `type`), at or after `from`; -1 if none. */
export function indexOfEvent(
  events: readonly EventRow[],
  reason: string,
  from = 0,
  type?: EventRow['type'],
): number {
  for (let i = from; i < events.length; i++)
    if (events[i].reason === reason && (!type || events[i].type === type)) return i;
  return -1;
}

/**
 * Replaces a file's content in one step (temp file + rename, as editors do),
 * so serve never sees a half-done edit (an empty file between truncate and
 * write) and proposes exactly one action for it.
 */
export function replaceFile(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.edit`);
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, path);
}
