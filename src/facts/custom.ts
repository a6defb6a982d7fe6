/**
 * Custom facts, as Puppet's and CFEngine's external facts: every executable
 * file in the facts folder runs (in name order, no arguments, the folder as
 * its working folder) and prints one JSON object on standard output; its keys
 * join the facts at the top level. A `.json` file that is not executable is
 * read as static facts. Hidden files and other files are ignored. A fact
 * that fails (exit status, timeout, output that is not a JSON object, a key
 * that a built-in fact or an earlier file already has) is an error naming it.
 *
 * Runs synchronously: facts are gathered once per process, and manifests
 * interpolate `${facts.*}` while they are parsed, which is synchronous.
 */
import { spawnSync } from 'node:child_process';
import { constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SetpointError } from '../errors.js';

export const FACT_FAILED = 'SETPOINT_FACT_FAILED';

/** Output beyond this is refused rather than cut. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

export interface CustomFactsOptions {
  /** The facts folder; a missing folder has no facts. */
  dir: string;
  /** Per executable. Defaults to 10 s. */
  timeoutMs?: number;
}

/** The custom facts of `dir`, each key with the file it came from. */
export function customFacts(options: CustomFactsOptions): Map<string, { value: unknown; file: string }> {
  const out = new Map<string, { value: unknown; file: string }>();
  let names: string[];
  try {
    names = readdirSync(options.dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new SetpointError(
      `cannot read the facts folder ${options.dir}: ${(err as Error).message}`,
      FACT_FAILED,
      {
        hint: 'check its permissions, or point facts.dir in setpoint.yaml elsewhere',
      },
    );
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const file = join(options.dir, name);
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    const executable = (st.mode & (constants.S_IXUSR | constants.S_IXGRP | constants.S_IXOTH)) !== 0;
    let text: string;
    if (executable) text = run(file, options);
    else if (name.endsWith('.json')) text = readFileSync(file, 'utf8');
    else continue;
    for (const [key, value] of Object.entries(parseObject(text, file))) {
      const earlier = out.get(key);
      if (earlier)
        throw new SetpointError(
          `custom fact ${file} sets "${key}", which ${earlier.file} already set`,
          FACT_FAILED,
          {
            hint: 'each custom fact name comes from one file: rename one of them',
          },
        );
      out.set(key, { value, file });
    }
  }
  return out;
}

function run(file: string, options: CustomFactsOptions): string {
  const timeout = options.timeoutMs ?? 10_000;
  const r = spawnSync(file, [], {
    cwd: options.dir,
    encoding: 'utf8',
    timeout,
    maxBuffer: MAX_OUTPUT_BYTES,
    stdio: ['ignore', 'pipe', 'pipe'],
    killSignal: 'SIGKILL',
  });
  const stderr = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why =
      code === 'ETIMEDOUT'
        ? `did not finish within ${timeout} ms`
        : code === 'ENOBUFS'
          ? `printed more than ${MAX_OUTPUT_BYTES} bytes`
          : `could not run (${code ?? r.error.message})`;
    throw new SetpointError(`custom fact ${file} ${why}`, FACT_FAILED, {
      hint:
        code === 'ETIMEDOUT'
          ? 'make it faster, or raise facts.timeout in setpoint.yaml'
          : 'check its #! line and that it runs by hand',
      cause: r.error,
    });
  }
  if (r.status !== 0)
    throw new SetpointError(
      `custom fact ${file} failed (${r.signal ? `killed by ${r.signal}` : `exit ${r.status}`})${stderr ? `: ${stderr}` : ''}`,
      FACT_FAILED,
      { hint: 'run it by hand to see why; it must exit 0 and print a JSON object' },
    );
  return r.stdout;
}

function parseObject(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SetpointError(
      `custom fact ${file} did not print JSON: ${(err as Error).message}`,
      FACT_FAILED,
      {
        hint: 'print one JSON object on standard output, e.g. {"role": "web"}; log to standard error',
      },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SetpointError(
      `custom fact ${file} printed ${Array.isArray(value) ? 'an array' : typeof value}, not a JSON object`,
      FACT_FAILED,
      {
        hint: 'print one JSON object, e.g. {"role": "web"}',
      },
    );
  return value as Record<string, unknown>;
}
