import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { generateKeys, keyId, signFolder } from '../../source/signing.js';
import { printDiagnostics } from '../diagnostics.js';
import { EXIT, outputFor, runClient } from '../context.js';
import { ago, table } from '../output.js';

export function register(program: Command): void {
  program
    .command('sync')
    .description('fetch the sources now and admit their revisions (a running serve follows at once)')
    .argument('[source]', 'one source (default: all)')
    .action((source: string | undefined, _opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const admissions = await api.sync(source);
        if (o.json) {
          o.printJson(
            admissions.map((a) => ({ source: a.source, revision: a.revision, known: a.known ?? false })),
          );
          return admissions.some((a) => !a.revision.admitted) ? EXIT.error : EXIT.ok;
        }
        const c = o.colors;
        for (const a of admissions) {
          const r = a.revision;
          const what = r.commit ? `commit ${r.commit.slice(0, 12)} (${firstLine(r.message)})` : r.origin;
          if (r.admitted)
            o.out(
              `${c.green('admitted')} ${a.source}: revision ${r.id}, ${what}, ${r.resourceCount} resources${a.known ? ' (already known)' : ''}`,
            );
          else {
            printDiagnostics(o, a.diagnostics);
            o.out(`${c.red('refused')} ${a.source}: ${what}; the previous revision stays in force`);
          }
        }
        return admissions.some((a) => !a.revision.admitted) ? EXIT.error : EXIT.ok;
      }),
    );

  program
    .command('sources')
    .description('the sources, their current and pinned revisions, last fetch')
    .action((_opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const list = await api.sourcesStatus();
        if (o.json) {
          o.printJson(list);
          return;
        }
        o.out(
          table(
            ['SOURCE', 'KIND', 'WHERE', 'CURRENT', 'PINNED', 'LAST FETCH', 'ERROR'],
            list.map((s) => [
              s.name,
              s.kind,
              s.url ? `${s.url}@${s.ref ?? 'main'}` : '-',
              s.current ?? '-',
              s.pinned ? o.colors.yellow(`${s.pinned} (by ${s.pinnedBy}, ${ago(s.pinnedAt)})`) : '-',
              ago(s.lastFetchAt),
              s.lastError ? o.colors.red(s.lastError) : '',
            ]),
            o.colors,
          ),
        );
      }),
    );

  program
    .command('rollback')
    .description(
      'pin a source to an earlier revision; reconciliation stays on, new commits are admitted but not applied',
    )
    .argument('<revision>', 'revision id or commit (a unique prefix)')
    .option('--source <name>', 'the source (default: the only Git source)')
    .action((revision: string, opts: { source?: string }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const r = await api.rollback(revision, opts.source);
        if (o.json) o.printJson(r);
        else
          o.out(
            `pinned ${r.source} to revision ${r.id}${r.commit ? ` (commit ${r.commit.slice(0, 12)})` : ''}; \`setpoint unpin\` follows the branch again`,
          );
      }),
    );

  program
    .command('unpin')
    .description("follow the source's branch again after a rollback")
    .argument('[source]', 'the source (default: the only Git source)')
    .action((source: string | undefined, _opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const s = await api.unpin(source);
        if (o.json) o.printJson(s);
        else o.out(`unpinned ${s.name}: it follows its branch again`);
      }),
    );

  program
    .command('keygen')
    .description('make an ed25519 key pair for signing folder sources (setpoint.key stays private)')
    .option('--out <dir>', 'where to write setpoint.key and setpoint.pub', '.')
    .action((opts: { out: string }, cmd: Command) => {
      const o = outputFor(cmd);
      const dir = resolve(opts.out);
      const priv = join(dir, 'setpoint.key');
      const pub = join(dir, 'setpoint.pub');
      if (existsSync(priv) || existsSync(pub)) {
        o.err(o.colors.red(`error: not overwriting ${existsSync(priv) ? priv : pub}`));
        process.exitCode = EXIT.error;
        return;
      }
      mkdirSync(dir, { recursive: true });
      const keys = generateKeys();
      writeFileSync(priv, keys.privateKey, { mode: 0o600 });
      chmodSync(priv, 0o600);
      writeFileSync(pub, keys.publicKey);
      if (o.json) o.printJson({ privateKey: priv, publicKey: pub, keyId: keyId(keys.publicKey) });
      else
        o.out(
          `wrote ${priv} (private, 0600) and ${pub}; key id ${keyId(keys.publicKey)}\nput \`verify: { publicKey: ${pub} }\` on the folder source`,
        );
    });

  program
    .command('sign')
    .description('sign a folder source: writes its detached signature (.setpoint.sig)')
    .argument('<path>', 'the folder')
    .option('--key <file>', 'private key (default: setpoint.key)', 'setpoint.key')
    .action((path: string, opts: { key: string }, cmd: Command) => {
      const o = outputFor(cmd);
      try {
        const sig = signFolder(resolve(path), readFileSync(resolve(opts.key), 'utf8'));
        if (o.json) o.printJson(sig);
        else o.out(`signed ${path}: content digest ${sig.digest.slice(0, 16)}…, key ${sig.keyId}`);
      } catch (err) {
        o.err(
          o.colors.red(`error: cannot sign ${path}: ${(err as Error).message}`) +
            '\n  hint: make a key with `setpoint keygen`; sign a folder',
        );
        process.exitCode = EXIT.error;
      }
    });
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0].slice(0, 60);
}
