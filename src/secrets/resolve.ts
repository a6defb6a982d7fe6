/**
 * Secret references (`secretRef: {env | file | command}`), resolved only when
 * needed, cached only in memory, registered with the redactor on the way in.
 * A keyed hash (HMAC with a per-store salt) stands in for the value wherever a
 * digest is needed for change detection.
 */
import { SetpointError } from '../errors.js';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { runCommand, type CommandResult } from '../util/command.js';
import { redactor, type Redactor } from './redact.js';

/** Output of a secret command beyond this is refused rather than cut. */
const MAX_SECRET_BYTES = 1024 * 1024;

export const SecretRefSchema = z
  .strictObject({
    env: z.string().min(1).optional().describe('Name of an environment variable.'),
    file: z.string().min(1).optional().describe('Path of a file (relative to the manifest).'),
    command: z
      .union([z.string().min(1), z.array(z.string()).min(1)])
      .optional()
      .describe('A command whose standard output is the secret (e.g. a vault or password-manager CLI).'),
  })
  .refine((r) => [r.env, r.file, r.command].filter((v) => v !== undefined).length === 1, {
    message: 'a secretRef names exactly one of env, file or command',
  })
  .describe('Where a secret value comes from; resolved at apply time, never stored.');

export type SecretRef = z.infer<typeof SecretRefSchema>;

export class SecretError extends SetpointError {
  declare readonly hint: string;
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, 'SETPOINT_SECRET_UNRESOLVED', { hint, cause });
  }
}

export function describeRef(ref: SecretRef): string {
  if (ref.env !== undefined) return `env ${ref.env}`;
  if (ref.file !== undefined) return `file ${ref.file}`;
  return `command ${Array.isArray(ref.command) ? ref.command.join(' ') : ref.command}`;
}

export interface SecretResolverOptions {
  /** Environment to read `env` refs from. Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Scrubs values from output. Defaults to the process-wide redactor. */
  redactor?: Redactor;
  /** Salt of the keyed hash. Defaults to a fixed salt (stores pass their own). */
  salt?: string;
  /** Timeout for `command` refs. Defaults to 30 s. */
  commandTimeoutMs?: number;
}

/** What providers see of secrets: resolution only. */
export interface Secrets {
  /** The value of a reference; relative `file` paths resolve against `baseDir`. */
  resolve(ref: SecretRef, baseDir: string): Promise<string>;
}

export class SecretResolver implements Secrets {
  private readonly cache = new Map<string, Promise<string>>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly redactor: Redactor;
  salt: string;
  private readonly timeout: number;

  constructor(options: SecretResolverOptions = {}) {
    this.env = options.env ?? process.env;
    this.redactor = options.redactor ?? redactor;
    this.salt = options.salt ?? 'setpoint';
    this.timeout = options.commandTimeoutMs ?? 30_000;
  }

  /** Resolves a reference; relative `file` paths resolve against `baseDir`. */
  resolve(ref: SecretRef, baseDir: string): Promise<string> {
    const key = JSON.stringify([ref.env, ref.file && resolve(baseDir, ref.file), ref.command]);
    let hit = this.cache.get(key);
    if (!hit) {
      hit = this.load(ref, baseDir).then((value) => {
        this.redactor.add(value);
        return value;
      });
      this.cache.set(key, hit);
      // A failed lookup is not cached: the next attempt may succeed.
      hit.catch(() => this.cache.delete(key));
    }
    return hit;
  }

  /** Keyed hash of a secret value, safe to store. */
  digest(value: string | Buffer): string {
    return 'hmac-sha256:' + createHmac('sha256', this.salt).update(value).digest('hex');
  }

  private async load(ref: SecretRef, baseDir: string): Promise<string> {
    if (ref.env !== undefined) {
      const value = this.env[ref.env];
      if (value === undefined)
        throw new SecretError(
          `environment variable ${ref.env} is not set`,
          `export ${ref.env} before running setpoint, or change the secretRef`,
        );
      return value;
    }
    if (ref.file !== undefined) {
      const path = isAbsolute(ref.file) ? ref.file : resolve(baseDir, ref.file);
      try {
        return await readFile(path, 'utf8');
      } catch (err) {
        throw new SecretError(
          `cannot read secret file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          'check that the file exists and is readable by setpoint',
        );
      }
    }
    const argv = Array.isArray(ref.command) ? ref.command : ['/bin/sh', '-c', ref.command!];
    // Never include the command's output in an error: it may be half a secret.
    const hint = 'run the command by hand to see why; its output is never shown by setpoint';
    let result: CommandResult;
    try {
      // runCommand kills the whole process group at the timeout, so a hung helper the command started dies too.
      result = await runCommand(argv, {
        cwd: baseDir,
        timeoutMs: this.timeout,
        maxOutputBytes: MAX_SECRET_BYTES + 1,
      });
    } catch (err) {
      throw new SecretError(
        `secret command ${argv[0]} failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        hint,
      );
    }
    if (result.timedOut)
      throw new SecretError(`secret command ${argv[0]} timed out after ${this.timeout} ms`, hint);
    if (result.exitCode !== 0)
      throw new SecretError(
        `secret command ${argv[0]} failed (${result.exitCode !== null ? `exit status ${result.exitCode}` : `signal ${result.signal}`})`,
        hint,
      );
    if (result.stdout.length > MAX_SECRET_BYTES)
      throw new SecretError(`secret command ${argv[0]} printed more than 1 MiB`, 'print only the secret');
    return result.stdout.replace(/\r?\n$/, '');
  }
}
