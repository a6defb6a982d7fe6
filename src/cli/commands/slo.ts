import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { run } from '../context.js';

export function register(program: Command): void {
  const slo = program.command('slo').description('service-level objectives of setpoint.yaml (slos:)');
  slo
    .command('rules')
    .description('print Prometheus rules generated from slos: (error ratios, burn-rate and budget alerts)')
    .option('-o, --out <file>', 'write them to this file instead')
    .action((opts: { out?: string }, cmd: Command) =>
      run(cmd, async (api, o) => {
        const rules = await api.sloRules();
        for (const w of rules.warnings) o.err(o.colors.yellow(`warning: ${w}`));
        if (o.json) return o.printJson(rules);
        if (!opts.out) return o.out(rules.yaml.trimEnd());
        writeFileSync(opts.out, rules.yaml);
        o.err(o.colors.dim(`Wrote ${opts.out}: load it with rule_files in prometheus.yml.`));
      }),
    );
}
