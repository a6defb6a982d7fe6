/**
 * Test support for the Process provider's tests (not used by the provider).
 * Importing it first gives the test file a private TMPDIR, so the default
 * work root (`<tmpdir>/setpoint-work`, used by the conformance Harness)
 * belongs to this file alone. `resetWork` kills every replica recorded
 * there (identity-checked) and removes the work root: tests call it from
 * `afterEach`, so no process outlives a failed test.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, Harness, type HarnessOptions, type Sandbox } from '../../provider/conformance.js';
import { createProcessProvider, type ProcessActual, type ProcessDesired, type ProcessSpec } from './index.js';
import { identify, isAlive, readStat, type ProcessIdentity } from './proc.js';
import { readReplicas, type ReplicaRecord } from './state.js';

const privateTmp = mkdtempSync(join(tmpdir(), 'setpoint-process-test-'));
process.env.TMPDIR = privateTmp;

/** The default work root the Harness's contexts use. */
export const WORK_ROOT = join(privateTmp, 'setpoint-work');
/** The Process kind's working folder. */
export const WORK_DIR = join(WORK_ROOT, 'process');

/** The state folder of the Harness's resource (`Process/default/conformance`). */
export const STATE_DIR = join(WORK_DIR, 'default', 'conformance');

/** Processes a test started outside the provider, killed by `resetWork`. */
const extra = new Set<ProcessIdentity>();

/** Runs `node -e script` detached, outside the provider (a "foreign" process). */
export function spawnForeign(script: string): ProcessIdentity {
  const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore' });
  child.unref();
  const id = identify(child.pid!)!;
  extra.add(id);
  return id;
}

/** A node script that runs `extraCode`, prints a line, then lives for `seconds` (a safety net if cleanup fails). */
export function sleeper(seconds = 120, extraCode = ''): string {
  return `${extraCode}; console.log('replica', process.env.SETPOINT_REPLICA, 'args', process.argv.slice(1).join(' ')); setTimeout(() => {}, ${seconds * 1000});`;
}

export function records(stateDir = STATE_DIR): Map<number, ReplicaRecord> {
  return readReplicas(stateDir);
}

/** True while the pid exists and is not a zombie (zombies stay in this sandbox: PID 1 does not reap). */
export function pidRunning(pid: number): boolean {
  const st = readStat(pid);
  return st !== undefined && st.state !== 'Z';
}

/** SIGKILLs replica `index` and waits (synchronously) until it is dead; returns its pid. */
export function killReplica(index: number, stateDir = STATE_DIR, signal: NodeJS.Signals = 'SIGKILL'): number {
  const rec = records(stateDir).get(index);
  if (!rec?.process) throw new Error(`replica ${index} has no process`);
  process.kill(rec.process.pid, signal);
  const deadline = Date.now() + 5000;
  while (isAlive(rec.process) && Date.now() < deadline)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  return rec.process.pid;
}

export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills every replica recorded under the work root and every foreign process, then removes the work root. */
export function resetWork(): void {
  for (const dir of stateDirs()) {
    for (const rec of readReplicas(dir).values()) if (rec.process) killGroup(rec.process);
  }
  for (const id of extra) killGroup(id);
  extra.clear();
  rmSync(WORK_ROOT, { recursive: true, force: true });
}

/** `resetWork`, then removes the private TMPDIR; for `after`. */
export function removeAll(): void {
  resetWork();
  rmSync(privateTmp, { recursive: true, force: true });
}

function killGroup(id: ProcessIdentity): void {
  if (!isAlive(id)) return;
  const leads = readStat(id.pid)?.pgrp === id.pid;
  try {
    process.kill(leads ? -id.pid : id.pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

function stateDirs(): string[] {
  const out: string[] = [];
  const list = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
    } catch {
      return [];
    }
  };
  for (const ns of list(WORK_DIR))
    for (const name of list(join(WORK_DIR, ns.name))) out.push(join(WORK_DIR, ns.name, name.name));
  return out;
}

export type ProcessHarness = Harness<ProcessSpec, ProcessActual, ProcessDesired>;

/** Runs `body` with a Process provider (polling every 50 ms unless told) on a fresh sandbox. */
export async function withProcess(
  body: (h: ProcessHarness, sb: Sandbox) => Promise<void>,
  options: { pollMs?: number; harness?: HarnessOptions } = { pollMs: 50 },
): Promise<void> {
  const sb = createSandbox();
  try {
    await body(new Harness(createProcessProvider({ pollMs: options.pollMs }), sb, options.harness), sb);
  } finally {
    sb.dispose();
  }
}
