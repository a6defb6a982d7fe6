/** `setpoint agent`: enforce this node's part of the fleet's desired state, from a `setpoint serve`. */
import { InvalidArgumentError, type Command } from 'commander';
import { collect, EXIT, globals, outputFor, parseDurationOption } from '../context.js';
import { reportError } from '../errors.js';

/** `k=v` pairs of repeated --label options. */
export function parseLabels(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`--label ${p}: expected key=value`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('agent')
    .description(
      "run on a node: enrol with a setpoint server (--server URL), then enforce the node's set continuously (drift repair, policies, windows), also while the server is away; --state PATH is the agent's folder (default /var/lib/setpoint-agent as root, else ~/.setpoint-agent)",
    )
    .option(
      '--enroll-token <token>',
      'enrolment token from `setpoint nodes enroll-token`; needed the first time',
    )
    .option('--name <name>', 'the node name (default: the host name)')
    .option(
      '--label <key=value>',
      'a label of this node (repeatable); the enrolment token labels win',
      collect,
      [],
    )
    .option(
      '--check-interval <duration>',
      "periodic check besides the long poll (default: the server's fleet.checkInterval, 5m)",
      parseDurationOption,
    )
    .option('--resync <duration>', 'full local resync period (default 5m)', parseDurationOption)
    .action(
      async (
        opts: {
          enrollToken?: string;
          name?: string;
          label: string[];
          checkInterval?: number;
          resync?: number;
        },
        cmd: Command,
      ) => {
        const o = outputFor(cmd);
        try {
          // The agent module alone, not the whole API (its HTTP contract, every command's code): a node's agent stays small.
          const { startAgent } = await import('../../api/agent.js');
          const agent = await startAgent({
            // The global --server (or SETPOINT_SERVER): the server to enrol with; kept in the credential after.
            server: globals(cmd).server || process.env.SETPOINT_SERVER || undefined,
            enrollToken: opts.enrollToken ?? process.env.SETPOINT_ENROLL_TOKEN,
            name: opts.name,
            // The global --state: the agent's state folder.
            state: globals(cmd).state,
            labels: parseLabels(opts.label),
            checkIntervalMs: opts.checkInterval,
            resyncMs: opts.resync,
            say: (line) => o.err(line),
          });
          const ended = await agent.manager.run((sig) => o.err(`${sig}: finishing in-flight work…`));
          await agent.link.stop();
          o.err('setpoint agent stopped');
          process.exitCode = ended.clean ? EXIT.ok : EXIT.error;
        } catch (err) {
          reportError(o, err);
          process.exitCode = EXIT.error;
        }
      },
    );
}
