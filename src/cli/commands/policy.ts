import type { Command } from 'commander';
import { displayPath, printDiagnostics } from '../diagnostics.js';
import { EXIT, run } from '../context.js';
import { count } from '../violations.js';

const FORMAT = `
A policy test is a file named *.test.yaml (manifest folders skip such files):

  policy: no-world-writable          # the Policy's metadata.name
  policies: no-world-writable.yaml   # file or folder declaring it (default: this file's folder)
  cases:
    - name: a 0644 file complies
      object: { kind: File, metadata: { name: motd }, spec: { path: /etc/motd, content: "hi", mode: "0644" } }
      expect: pass                   # pass | violation
    - name: a file chmod-ed to 0777 by hand
      object: { kind: File, metadata: { name: motd }, spec: { path: /etc/motd, content: "hi" } }
      actual: { mode: "0777" }       # the observed state, for rules that read actual
      expect: violation
      message: world-writable        # optional: the message must contain this

Exit code 1 when a case does not get its expected verdict (a rule that fails to evaluate fails its case).`;

export function register(program: Command): void {
  const policy = program.command('policy').description('work on policies (see also `setpoint policies`)');
  policy
    .command('test')
    .description('run policy tests (*.test.yaml fixtures: resources with expected verdicts)')
    .argument('[path...]', 'fixture files or folders, walked recursively (default: the manifest folders)')
    .addHelpText('after', FORMAT)
    .action((paths: string[], _opts: unknown, cmd: Command) =>
      run(cmd, async (api, o) => {
        const report = api.testPolicies(paths);
        if (o.json) {
          o.printJson(report);
          return report.ok ? EXIT.ok : EXIT.error;
        }
        const c = o.colors;
        printDiagnostics(o, report.diagnostics);
        for (const f of report.files) {
          o.out(`${c.bold(displayPath(f.file))}${f.policy ? c.dim(`  (policy ${f.policy})`) : ''}`);
          if (f.error) {
            o.out(
              c.red(`  ✗ ${f.error.message}`) + (f.error.hint ? c.dim(`\n      hint: ${f.error.hint}`) : ''),
            );
            continue;
          }
          for (const t of f.cases) {
            if (t.ok) {
              o.out(`  ${c.green('✓')} ${t.name}`);
              continue;
            }
            o.out(c.red(`  ✗ ${t.name}`));
            o.out(c.dim(`      ${t.problem ?? `expected ${t.expect}, got ${t.got}`}`));
            if (t.message) o.out(c.dim(`      message: ${t.message}`));
            for (const d of t.diagnostics ?? [])
              o.out(
                c.dim(
                  `      ${d.field ? `${d.field}: ` : ''}${d.summary}${d.line ? ` (line ${d.line})` : ''}`,
                ),
              );
          }
        }
        const broken = report.files.filter((f) => f.error).length;
        if (report.files.length === 0) {
          o.err(c.red('error: no policy tests (*.test.yaml) found'));
          return EXIT.error;
        }
        const line = `Tests: ${report.passed} passed, ${report.failed} failed${broken ? `, ${broken} file${broken === 1 ? '' : 's'} could not run` : ''} (${count(report.files.length, 'file')}).`;
        o.out(report.ok ? c.green(line) : c.red(line));
        return report.ok ? EXIT.ok : EXIT.error;
      }),
    );
}
