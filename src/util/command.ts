/**
 * Runs one command to completion with a timeout that kills its whole process
 * group, capturing the tail of its output. Used by Exec, secrets and probes.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { assertMayAct, hasActGuard } from './act-guard.js';

/** Runs argv once a line arrives on fd 3; exits 125 (running nothing) when fd 3 closes first. */
const GATE = ['/bin/sh', '-c', 'read -r _ <&3 || exit 125; exec 3<&-; exec "$@"', 'setpoint-gate'];

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds before the process group gets SIGTERM, then SIGKILL 2 s later. Defaults to 300 s. */
  timeoutMs?: number;
  /** Output kept per stream (the tail). Defaults to 64 KiB. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** A string runs through /bin/sh -c; an array is an argv. */
export type Command = string | string[];

export function describeCommand(command: Command): string {
  return Array.isArray(command) ? command.join(' ') : command;
}

export function runCommand(command: Command, options: CommandOptions = {}): Promise<CommandResult> {
  const argv = Array.isArray(command) ? command : ['/bin/sh', '-c', command];
  const max = options.maxOutputBytes ?? 64 * 1024;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // Synchronously before the spawn: a leader that lost its lease starts nothing (act-guard.ts).
    assertMayAct();
    // Guarded, the command waits at a gate (fd 3) that opens only once the guard passes again after
    // the spawn: a pause during the spawn itself (a fork restarted after SIGCONT) cannot slip through.
    const gated = hasActGuard();
    const [file, args] = gated ? [GATE[0], [...GATE.slice(1), ...argv]] : [argv[0], argv.slice(1)];
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true, // own process group, so a timeout kills the children too
      stdio: gated ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    const keep = (stream: 'stdout' | 'stderr') => (chunk: string) => {
      out[stream] += chunk;
      if (out[stream].length > max) out[stream] = out[stream].slice(-max);
    };
    // A decoding stream: a multi-byte character split across two chunks stays whole.
    child.stdout!.setEncoding('utf8').on('data', keep('stdout'));
    child.stderr!.setEncoding('utf8').on('data', keep('stderr'));
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), 2000);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs ?? 300_000);
    const onAbort = () => stop();
    // An already aborted signal never fires 'abort' again.
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (gated) {
      const gate = child.stdio[3] as Writable;
      gate.on('error', () => undefined); // the command is gone: 'close' reports it
      try {
        assertMayAct();
        gate.end('go\n');
      } catch (err) {
        gate.destroy(); // EOF at the gate: the command exits 125 even if the kill came too late
        killGroup('SIGKILL');
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode, signal, timedOut, ...out, durationMs: performance.now() - started });
    });
  });
}
