/** `setpoint nodes`: the enrolled nodes (`setpoint agent`), enrolment tokens, revoking and rotating credentials. */
import type { Command } from 'commander';
import { collect, parseDurationOption, parseIntOption, runClient } from '../context.js';
import { ago, table } from '../output.js';
import { parseLabels } from './agent.js';

const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '-';

export function register(program: Command): void {
  const nodes = program
    .command('nodes')
    .description('enrolled nodes running `setpoint agent`: list, enrolment tokens, revoke, rotate')
    .action((_opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const list = await api.nodes();
        if (o.json) {
          o.printJson({ items: list });
          return;
        }
        if (list.length === 0) {
          o.out(
            'No nodes. `setpoint nodes enroll-token --ttl 1h` makes a token for `setpoint agent --enroll-token`.',
          );
          return;
        }
        o.out(
          table(
            ['NAME', 'LABELS', 'LAST SEEN', 'REVISION', 'IN SYNC', 'DRIFTED', 'FAILED', 'AGENT', 'STATE'],
            list.map((n) => [
              n.name,
              labelsText(n.labels),
              ago(n.lastSeenAt),
              n.appliedRevision ?? '-',
              `${n.counts.inSync}/${n.counts.total}`,
              String(n.counts.drifted),
              String(n.counts.failed),
              n.agentVersion ?? '-',
              n.revokedAt
                ? o.colors.red('revoked')
                : n.offline
                  ? o.colors.red('offline')
                  : n.behind
                    ? o.colors.yellow('behind')
                    : o.colors.green('current'),
            ]),
            o.colors,
          ),
        );
      }),
    );

  nodes
    .command('enroll-token')
    .description(
      'make an enrolment token for `setpoint agent --enroll-token`; printed once, stored as a sha256',
    )
    .option('--ttl <duration>', 'how long it can be used (default 1h)', parseDurationOption)
    .option(
      '--labels <key=value,...>',
      'labels every node enrolled with it gets (comma-separated or repeated)',
      collect,
      [],
    )
    .option(
      '--uses <n>',
      'how many nodes may enrol with it (default: any number until it expires)',
      parseIntOption,
    )
    .action((opts: { ttl?: number; labels: string[]; uses?: number }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const labels = parseLabels(opts.labels.flatMap((l) => l.split(',')).filter(Boolean));
        const { token, info } = await api.createEnrollToken({
          ttlMs: opts.ttl ?? 3_600_000,
          labels,
          uses: opts.uses,
        });
        if (o.json) {
          o.printJson({ token, ...info });
          return;
        }
        o.out(token);
        o.err(
          o.colors.dim(
            `enrolment token ${info.name}: labels ${labelsText(info.labels)}, expires ${info.expiresAt}, ${info.usesLeft === undefined ? 'any number of uses' : `${info.usesLeft} use(s)`}. Shown once.`,
          ),
        );
      }),
    );

  nodes
    .command('revoke')
    .description(
      "revoke a node's credential: its agent is refused from now on (it keeps enforcing its last set)",
    )
    .argument('<name>')
    .action((name: string, _opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const node = await api.revokeNode(name);
        if (o.json) o.printJson(node);
        else o.out(`revoked node ${name}`);
      }),
    );

  nodes
    .command('rotate')
    .description("ask a node's agent to rotate its credential at its next contact (seconds when online)")
    .argument('<name>')
    .action((name: string, _opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        await api.requestNodeRotation(name);
        if (o.json) o.printJson({ requested: name });
        else o.out(`node ${name} rotates its credential at its next contact`);
      }),
    );
}
