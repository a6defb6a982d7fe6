/**
 * Exec: a command that brings something into the desired state, guarded by a
 * check command (exit 0 = already there). After `apply` runs, the check runs
 * again, so success means the state is reached, not just that a command
 * exited 0. Output of every run is captured into events (secrets redacted at
 * the output boundary).
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';
import * as z from 'zod';
import { ProviderError } from '../../provider/errors.js';
import type { Ctx, Provider } from '../../provider/types.js';
import { SecretError, SecretRefSchema } from '../../secrets/index.js';
import { describeCommand, runCommand, type Command, type CommandResult } from '../../util/command.js';
import { DurationSchema, parseDuration } from '../../util/duration.js';
import { awaitInterrupted, execMark, markEnv } from './interrupted.js';

const CommandSchema = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .describe('A shell command (run with /bin/sh -c) or an argv list.');

export const ExecSpecSchema = z
  .strictObject({
    check: CommandSchema.describe('Exits 0 when the desired state is already reached.'),
    apply: CommandSchema.describe('Brings the desired state about.'),
    destroy: CommandSchema.optional().describe('Undoes it, for ensure: absent and pruning.'),
    ensure: z.enum(['present', 'absent']).default('present'),
    cwd: z
      .string()
      .optional()
      .describe("Working folder, relative to the manifest. Defaults to the manifest's folder."),
    env: z
      .record(z.string(), z.union([z.string(), z.strictObject({ secretRef: SecretRefSchema })]))
      .optional()
      .describe('Extra environment variables; values may be secretRefs.'),
    timeout: DurationSchema.optional().describe('Per command. Defaults to 5m.'),
  })
  .describe('Commands guarded by a check: run apply when check fails.');

export type ExecSpec = z.infer<typeof ExecSpecSchema>;

export interface ExecDesired {
  spec: ExecSpec;
  /** Marks the commands this resource runs, so a later run finds one a killed setpoint left running. */
  mark: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

export interface ExecActual {
  /** The check passed. */
  satisfied: true;
}

export const execProvider: Provider<ExecSpec, ExecActual, ExecDesired> = {
  kind: 'Exec',
  description: 'Commands guarded by a check: apply runs when the check fails.',
  schema: ExecSpecSchema,
  // Commands are heavy; a few at a time whatever the run's parallelism.
  concurrency: 4,

  async resolve(spec, ctx) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [name, value] of Object.entries(spec.env ?? {})) {
      if (typeof value === 'string') env[name] = value;
      else {
        try {
          env[name] = await ctx.secrets.resolve(value.secretRef, ctx.baseDir);
        } catch (err) {
          if (err instanceof SecretError)
            throw new ProviderError(err.message, {
              code: err.code,
              field: `spec.env.${name}.secretRef`,
              hint: err.hint,
            });
          throw err;
        }
      }
    }
    const cwd =
      spec.cwd === undefined
        ? ctx.baseDir
        : isAbsolute(spec.cwd)
          ? spec.cwd
          : resolvePath(ctx.baseDir, spec.cwd);
    return {
      spec,
      mark: execMark(ctx.workDir, ctx.id),
      cwd,
      env,
      timeoutMs: spec.timeout !== undefined ? parseDuration(spec.timeout)! : 300_000,
    };
  },

  async observe(desired, ctx) {
    const result = await run(desired, desired.spec.check, 'check', ctx);
    return result.exitCode === 0 ? { satisfied: true } : undefined;
  },

  diff(desired, actual) {
    if (actual) return [];
    return [
      { path: 'spec.check', old: 'failing', new: 'passing' },
      { path: 'spec.apply', new: describeCommand(desired.spec.apply) },
    ];
  },

  async apply(desired, actual, ctx) {
    // The check already passes: the apply command is guarded by it, so nothing runs.
    if (actual?.satisfied) return actual;
    // An apply a killed setpoint left running finishes first; it may have done the work.
    if (
      (await awaitInterrupted(desired.mark, desired.timeoutMs, ctx)) &&
      (await run(desired, desired.spec.check, 'check', ctx)).exitCode === 0
    )
      return { satisfied: true };
    await runOrThrow(desired, desired.spec.apply, 'apply', ctx);
    const check = await run(desired, desired.spec.check, 'check', ctx);
    if (check.exitCode !== 0)
      throw new ProviderError(`apply succeeded but the check still fails (${exitText(check)})`, {
        code: 'SETPOINT_APPLY_UNCONVERGED',
        field: 'spec.check',
        hint: 'the apply command must bring about what the check tests',
      });
    return { satisfied: true };
  },

  async destroy(desired, _actual, ctx) {
    if (!desired.spec.destroy)
      throw new ProviderError('no destroy command, so this cannot be removed', {
        code: 'SETPOINT_APPLY_REFUSED',
        field: 'spec.destroy',
        hint: 'add spec.destroy, or keep the resource',
      });
    await awaitInterrupted(desired.mark, desired.timeoutMs, ctx);
    await runOrThrow(desired, desired.spec.destroy, 'destroy', ctx);
  },

  isDestructive: () => true,

  health(_desired, actual) {
    return actual ? { status: 'Healthy' } : { status: 'Missing', message: 'the check fails' };
  },
};

async function run(desired: ExecDesired, command: Command, step: string, ctx: Ctx): Promise<CommandResult> {
  try {
    return await runCommand(command, {
      cwd: desired.cwd,
      env: { ...desired.env, ...markEnv(desired.mark, step) },
      timeoutMs: desired.timeoutMs,
      signal: ctx.signal,
    });
  } catch (err) {
    throw new ProviderError(`cannot run ${step} command: ${(err as Error).message}`, {
      code: 'SETPOINT_APPLY_FAILED',
      field: `spec.${step}`,
      hint: `check that spec.cwd (${desired.cwd}) exists and the command is installed`,
      cause: err,
    });
  }
}

async function runOrThrow(desired: ExecDesired, command: Command, step: string, ctx: Ctx): Promise<void> {
  const result = await run(desired, command, step, ctx);
  const output = [result.stdout.trim(), result.stderr.trim()].filter(Boolean).join('\n');
  if (output)
    ctx.event(result.exitCode === 0 ? 'Normal' : 'Warning', 'CommandOutput', `${step}: ${tail(output)}`);
  if (result.exitCode !== 0)
    throw new ProviderError(
      `${step} command failed (${exitText(result)})${output ? ': ' + tail(output, 3) : ''}`,
      {
        code: 'SETPOINT_APPLY_FAILED',
        field: `spec.${step}`,
        hint: result.timedOut
          ? 'raise spec.timeout, or make the command faster'
          : `run it by hand in ${desired.cwd} to see why`,
      },
    );
}

function exitText(r: CommandResult): string {
  if (r.timedOut) return 'timed out';
  if (r.signal) return `killed by ${r.signal}`;
  return `exit ${r.exitCode}`;
}

function tail(text: string, lines = 20): string {
  const all = text.split('\n');
  return all.length > lines ? all.slice(-lines).join('\n') : text;
}
