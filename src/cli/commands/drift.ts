import type { Command } from 'commander';
import { printDiagnostics } from '../diagnostics.js';
import { collect, EXIT, run } from '../context.js';
import { changesJson, renderChange, renderUnknown } from '../render-plan.js';

export function register(program: Command): void {
  program
    .command('drift')
    .description(
      'observe without acting: report what differs from the manifests and how (exit 2 when drifted)',
    )
    .option('-f, --file <path>', 'manifest file or folder, walked recursively (repeatable)', collect, [])
    .option('--target <id>', 'only this resource and what it depends on (repeatable)', collect, [])
    .action((opts: { file: string[]; target: string[] }, cmd: Command) =>
      run(cmd, async (api, o) => {
        const report = await api.drift({ paths: opts.file, targets: opts.target });
        const failed = report.diagnostics.some((d) => d.severity === 'error');
        if (o.json) {
          o.printJson({
            revision: report.revision,
            drifted: report.items.length > 0,
            inSync: report.inSync,
            unknown: report.unknown,
            items: await Promise.all(
              report.items.map(async (i) => ({ ...i, changes: await changesJson(i.changes) })),
            ),
            diagnostics: report.diagnostics,
          });
        } else {
          printDiagnostics(o, report.diagnostics);
          const c = o.colors;
          for (const item of report.items) {
            const note =
              item.state === 'Pending'
                ? 'not applied yet'
                : item.state === 'Missing'
                  ? 'applied, now missing'
                  : 'changed outside setpoint';
            o.out(`  ${c.yellow('~')} ${c.bold(item.id)}  ${c.dim(`(${note})`)}`);
            for (const ch of item.changes) o.out((await renderChange(ch, 'drift', c, '      ')).join('\n'));
          }
          const unknownLines = renderUnknown(report.diagnostics, c);
          if (unknownLines.length) o.out(unknownLines.join('\n').trimEnd());
          if (!failed) {
            const by = (s: string) => report.items.filter((i) => i.state === s).length;
            const unknown = report.unknown.length ? `, ${report.unknown.length} unknown` : '';
            const line = `Drift: ${by('Drifted')} drifted, ${by('Missing')} missing, ${by('Pending')} not applied yet, ${report.inSync} in sync${unknown}.`;
            o.out(report.items.length ? c.yellow(line) : c.green(line));
          }
        }
        if (failed) return EXIT.error;
        return report.items.length > 0 ? EXIT.changes : EXIT.ok;
      }),
    );
}
