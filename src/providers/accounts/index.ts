/**
 * What User and Group share: the account databases read through getent
 * (one query per database per run when ctx.run is there), the shadow tools
 * run with their errors turned into ProviderErrors naming the spec field,
 * and the account name rule.
 */
import { spawn } from 'node:child_process';
import { ProviderError } from '../../provider/errors.js';
import type { Ctx } from '../../provider/types.js';

/** POSIX-portable account names, as useradd accepts them by default (32 characters at most). */
export const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]{0,30}\$?$/;

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool with optional stdin (never argv for secrets: argv is visible in ps). */
export function runTool(argv: readonly string[], input?: string, signal?: AbortSignal): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
      signal,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) =>
      reject(
        new ProviderError(`cannot run ${argv[0]}: ${err.message}`, {
          code: 'SETPOINT_ACCOUNT_TOOL_MISSING',
          hint: 'User and Group need getent and the shadow tools (useradd, groupadd; the passwd package)',
          cause: err,
        }),
      ),
    );
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) {
      // A tool that exits without reading its input must not crash us with EPIPE.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(input);
    }
  });
}

/** Runs a shadow tool; a failure becomes a ProviderError naming `fieldOf(stderr)` (a field the message points at). */
export async function runOrThrow(
  argv: readonly string[],
  fieldOf: (stderr: string) => string | undefined,
  ctx: Ctx,
  input?: string,
  /** Exit codes that mean "already done" (userdel/groupdel exit 6: no such account). */
  alreadyDone: readonly number[] = [],
): Promise<void> {
  const r = await runTool(argv, input, ctx.signal);
  if (r.code === 0 || (r.code !== null && alreadyDone.includes(r.code))) return;
  const said = r.stderr.trim().split('\n').pop() ?? '';
  throw new ProviderError(`${argv[0]} failed (exit ${r.code}): ${said}`, {
    code: 'SETPOINT_APPLY_FAILED',
    field: fieldOf(said),
    hint:
      r.code === 1 || /permission denied|cannot lock/i.test(said)
        ? "run setpoint as root; another tool may hold the account files' lock"
        : 'fix the field the message names, or run the command by hand to see why',
  });
}

/** One getent database as a map by name; `key` limits it to one entry (no run scope). */
async function getent(db: 'passwd' | 'group' | 'shadow', key?: string): Promise<string[]> {
  const r = await runTool(key === undefined ? ['getent', db] : ['getent', db, key]);
  // Exit 2: the key is not there. Anything else is a real failure.
  if (r.code === 2) return [];
  if (r.code !== 0)
    throw new ProviderError(`getent ${db} failed (exit ${r.code}): ${r.stderr.trim()}`, {
      code: 'SETPOINT_OBSERVE_FAILED',
      hint: db === 'shadow' ? 'reading passwords needs root' : 'check nsswitch.conf',
    });
  return r.stdout.split('\n').filter(Boolean);
}

export function parsePasswd(lines: readonly string[]): Map<string, PasswdEntry> {
  const out = new Map<string, PasswdEntry>();
  for (const line of lines) {
    const [name, , uid, gid, comment, home, shell] = line.split(':');
    out.set(name, {
      name,
      uid: Number(uid),
      gid: Number(gid),
      comment: comment ?? '',
      home: home ?? '',
      shell: shell ?? '',
    });
  }
  return out;
}

export function parseGroups(lines: readonly string[]): Map<string, GroupEntry> {
  const out = new Map<string, GroupEntry>();
  for (const line of lines) {
    const [name, , gid, members] = line.split(':');
    out.set(name, { name, gid: Number(gid), members: members ? members.split(',').filter(Boolean) : [] });
  }
  return out;
}

/** The passwd entries: the whole database once per run, one entry otherwise. */
export function passwdOf(name: string, ctx: Ctx): Promise<Map<string, PasswdEntry>> {
  if (ctx.run) return ctx.run.memo('accounts:passwd', async () => parsePasswd(await getent('passwd')));
  return getent('passwd', name).then(parsePasswd);
}

/** All groups (membership needs them all): once per run. */
export function groupsOf(ctx: Ctx): Promise<Map<string, GroupEntry>> {
  if (ctx.run) return ctx.run.memo('accounts:group', async () => parseGroups(await getent('group')));
  return getent('group').then(parseGroups);
}

/** One group entry: from the run's snapshot, or one query. */
export async function groupOf(name: string, ctx: Ctx): Promise<GroupEntry | undefined> {
  if (ctx.run) return (await groupsOf(ctx)).get(name);
  return parseGroups(await getent('group', name)).get(name);
}

/** The crypt hash of one account (root only); never logged, never stored. */
export async function shadowHashOf(name: string, ctx: Ctx): Promise<string | undefined> {
  const lines = ctx.run
    ? await ctx.run.memo('accounts:shadow', () => getent('shadow'))
    : await getent('shadow', name);
  const line = lines.find((l) => l.startsWith(`${name}:`));
  return line?.split(':')[1];
}

/** Forgets the run's snapshots after a change, so a later observe in the same run reads afresh. */
export function forgetAccounts(ctx: Ctx): void {
  for (const db of ['passwd', 'group', 'shadow']) ctx.run?.forget(`accounts:${db}`);
}
