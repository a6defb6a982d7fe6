/**
 * `setpoint audit`: list the audit trail, verify its hash chain, export it
 * as a self-verifying file, and verify such a file on any machine.
 */
import { once } from 'node:events';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { Setpoint } from '../../api/index.js';
import { SetpointError } from '../../errors.js';
import type { AuditEntry, AuditVerification } from '../../store/index.js';
import { parseDuration } from '../../util/duration-text.js';
import { EXIT, globals, parseIntOption, run, runClient, outputFor } from '../context.js';
import { reportError } from '../errors.js';
import { table, type Output } from '../output.js';

interface ListOptions {
  since?: string;
  resource?: string;
  action?: string;
  limit: number;
}

export function register(program: Command): void {
  const audit = program
    .command('audit')
    .description('the audit trail: who changed what, when (verify, export: subcommands)')
    .option(
      '--since <time>',
      'entries at or after a time (ISO 8601) or a duration ago (e.g. 2h, 7d)',
      parseSince,
    )
    .option('--resource <id>', 'entries about one resource')
    .option('--actor <name>', 'entries by one actor')
    .option('--action <action>', 'entries of one action, e.g. apply.update, approval.approve')
    .option('-n, --limit <n>', 'the newest N', parseIntOption, 100)
    .action((opts: ListOptions, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        // --actor is also the global "who acts" option; here it is the filter.
        const entries = await api.audit({
          since: opts.since,
          resourceId: opts.resource,
          actor: globals(cmd).actor,
          action: opts.action,
          limit: opts.limit,
        });
        if (o.json) {
          o.printJson(entries);
          return;
        }
        if (entries.length === 0) {
          o.out('No audit entries.');
          return;
        }
        const c = o.colors;
        o.out(
          table(
            ['SEQ', 'TIME', 'ACTOR', 'ACTION', 'RESOURCE', 'REVISION', 'RESULT', 'HASH'],
            entries.map((e) => [
              String(e.seq),
              e.time,
              e.actor,
              e.action,
              e.resourceId ?? '-',
              e.revisionId?.slice(0, 12) ?? '-',
              resultColor(o, e.result),
              c.dim(e.hash.slice(0, 12)),
            ]),
            c,
          ),
        );
      }),
    );

  audit
    .command('verify')
    .description('recompute the hash chain; name the first entry edited, removed or reordered (exit 1)')
    .option('--file <path>', 'verify an export file instead of the state (needs no project or state)')
    .option('--head <hash>', 'with --file: the head hash (or its first 8+ characters) the file must end at')
    .action((opts: { file?: string; head?: string }, cmd: Command) => {
      if (opts.file) return verifyFile(cmd, opts.file, opts.head);
      return runClient(cmd, async (api, o) => {
        const v = await api.verifyAudit();
        return printVerification(o, v, 'the audit trail', v.entry);
      });
    });

  audit
    .command('export')
    .description(
      'write the audit trail as a self-verifying file (JSON lines + head) for `audit verify --file`',
    )
    .option('-o, --output <file>', 'write to this file (default: standard output)')
    .action((opts: { output?: string }, cmd: Command) =>
      run(cmd, async (api, o) => {
        if (!opts.output) {
          for await (const line of api.exportAudit())
            if (!process.stdout.write(line)) await once(process.stdout, 'drain');
          return;
        }
        const { entries, head } = await writeExport(api, opts.output);
        if (o.json) o.printJson({ file: opts.output, entries, head });
        else o.err(`exported ${entries} audit entries to ${opts.output}; head ${head}`);
      }),
    );
}

/** `audit verify --file`: no project, no state, nothing written. */
async function verifyFile(cmd: Command, file: string, head?: string): Promise<void> {
  const o = outputFor(cmd);
  try {
    const { verifyAuditFile } = await import('../../api/audit.js');
    const v = await verifyAuditFile(file, { expectHead: head });
    process.exitCode = printVerification(o, v, file, undefined, v.line);
  } catch (err) {
    reportError(o, err);
    process.exitCode = EXIT.error;
  }
}

function printVerification(
  o: Output,
  v: AuditVerification,
  what: string,
  entry?: AuditEntry,
  line?: number,
): number {
  if (o.json) {
    o.printJson({ ...v, ...(entry ? { entry } : {}) });
    return v.ok ? EXIT.ok : EXIT.error;
  }
  const c = o.colors;
  if (v.ok) {
    o.out(c.green(`${what}: intact, ${v.entries} entries, head ${v.head}`));
    return EXIT.ok;
  }
  const bad = v.firstBad!;
  if (v.truncated) {
    // Intact as far as it goes, but shorter than the anchor kept outside the state says.
    o.out(c.red(`${what}: ${bad.problem}`));
    o.out(`  ${v.entries} entries read; they verify`);
    return EXIT.error;
  }
  o.out(c.red(`${what}: broken at entry ${bad.seq}${line ? ` (line ${line})` : ''}: ${bad.problem}`));
  if (entry)
    o.out(
      `  entry ${entry.seq} now reads: ${entry.time} ${entry.actor} ${entry.action} ${entry.resourceId ?? '-'} ${entry.result}`,
    );
  o.out(`  ${v.entries} entries read; entries before ${bad.seq} verify`);
  return EXIT.error;
}

/** Writes the export next to its destination, flushed, then renamed into place: never a half-written file. */
async function writeExport(api: Setpoint, file: string): Promise<{ entries: number; head: string }> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new SetpointError(
      `cannot write ${file}: ${code}`,
      'SETPOINT_AUDIT_FILE',
      'check that its folder exists and is writable',
    );
  }
  let last = '';
  let lines = 0;
  try {
    for await (const line of api.exportAudit()) {
      writeSync(fd, line);
      last = line;
      lines++;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  const head = (JSON.parse(last) as { head: { hash: string } }).head.hash;
  return { entries: lines - 1, head };
}

function resultColor(o: Output, result: string): string {
  const c = o.colors;
  if (result === 'failed' || result === 'refused') return c.red(result);
  if (result === 'skipped' || result === 'pending' || result === 'overridden' || result === 'taken-over')
    return c.yellow(result);
  return result;
}

function parseSince(value: string): string {
  const ms = parseDuration(value);
  if (ms !== undefined) return new Date(Date.now() - ms).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new InvalidArgumentError(`not a time or a duration: ${value} (e.g. 2024-05-01T10:00:00Z, 2h, 7d)`);
  return new Date(t).toISOString();
}
