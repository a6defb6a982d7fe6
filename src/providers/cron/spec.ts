/** The Cron kind's spec: one /etc/cron.d entry. */
import * as z from 'zod';
import { lazy } from '../../util/lazy.js';
import { AbsolutePathSchema, EnsureSchema } from '../fs/index.js';

// croner loads on the first schedule checked: most runs declare no Cron.
const croner = lazy<typeof import('croner')>('croner');

/** cron.d file names follow run-parts(8): letters, digits, "_" and "-" only (cron skips others). */
export const CRON_FILE_NAME = /^[A-Za-z0-9_-]+$/;

/** Why `schedule` is not a cron.d schedule (5 fields, or @reboot, @daily, ...), or undefined when it is. */
export function scheduleProblem(schedule: string): string | undefined {
  const s = schedule.trim();
  if (s === '@reboot') return undefined;
  const fields = s.split(/\s+/).length;
  if (!s.startsWith('@') && fields !== 5)
    return `found ${fields} field${fields === 1 ? '' : 's'}; a cron.d schedule has 5 (minute hour day-of-month month day-of-week), e.g. "30 2 * * *", or is @reboot, @hourly, @daily, @weekly, @monthly or @yearly`;
  try {
    const cron = new (croner().Cron)(s, { mode: '5-part', paused: true });
    if (cron.nextRun(new Date(0)) === null) return `"${s}" matches no date (e.g. the 30th of February)`;
  } catch (err) {
    return `invalid schedule: ${(err as Error).message.replace(/^Cron\w*: /, '')}; e.g. "30 2 * * *" or @daily`;
  }
  return undefined;
}

export const CronSpecSchema = z
  .strictObject({
    schedule: z
      .string()
      .superRefine((value, ctx) => {
        const problem = scheduleProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
      })
      .describe(
        'When it runs: 5 cron fields ("30 2 * * *") or @reboot, @hourly, @daily, @weekly, @monthly, @yearly.',
      ),
    command: z
      .string()
      .min(1)
      .refine(
        (v) => !/[\r\n]/.test(v),
        'one line (cron reads a % in it as a newline: write \\% for a literal one)',
      )
      .describe('The command, run by /bin/sh (or SHELL). cron reads an unescaped % as a newline.'),
    user: z
      .string()
      .min(1)
      .refine((u) => !/^\d+$/.test(u), 'a user name: cron.d entries name the user, not a uid')
      .default('root')
      .describe('The user it runs as (a name); must exist. Defaults to root.'),
    environment: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name: letters, digits and "_"'),
        z.string().refine((v) => !/[\r\n]/.test(v), 'one line'),
      )
      .optional()
      .describe('Variables set for the entry (e.g. MAILTO, PATH, SHELL). Defaults to none.'),
    file: z
      .string()
      .regex(CRON_FILE_NAME, 'letters, digits, "_" and "-" only: cron ignores other file names in cron.d')
      .optional()
      .describe(
        'The file name in `dir`. Defaults to the resource name (with its namespace unless default), other characters as "_".',
      ),
    dir: AbsolutePathSchema.default('/etc/cron.d').describe('The cron.d folder. Defaults to /etc/cron.d.'),
    ensure: EnsureSchema,
  })
  .describe('A cron job: one file in /etc/cron.d with its schedule, user, command and environment.');

export type CronSpec = z.infer<typeof CronSpecSchema>;

/** The file name for a resource: `spec.file`, else its name (namespace-name outside default), sanitised. */
export function cronFileName(spec: Pick<CronSpec, 'file'>, key: { namespace: string; name: string }): string {
  if (spec.file) return spec.file;
  const base = key.namespace === 'default' ? key.name : `${key.namespace}-${key.name}`;
  return base.replace(/[^A-Za-z0-9_-]/g, '_');
}
