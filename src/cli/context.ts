/** What every command needs: global options, the API, output, and exit handling. */
import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration } from '../util/duration-text.js';
import type { Setpoint } from '../api/index.js';
import { SetpointError } from '../errors.js';
import { parseAssignment } from '../render/assignment.js';
import { reportError } from './errors.js';
import { createOutput, type Output } from './output.js';
import type { SetpointClient } from '../client/types.js';

export interface GlobalOptions {
  project?: string;
  state?: string;
  json?: boolean;
  color?: boolean;
  logLevel?: string;
  actor?: string;
  /** `--env NAME`. */
  env?: string;
  /** `--var name=value`, repeatable. */
  var?: Record<string, string>;
  /** A running serve's API (also SETPOINT_SERVER): remote-capable commands use it instead of the local state. */
  server?: string;
  /** Bearer token for --server (also SETPOINT_TOKEN). */
  token?: string;
}

export const EXIT = { ok: 0, error: 1, changes: 2 } as const;

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function outputFor(cmd: Command): Output {
  const g = globals(cmd);
  return createOutput({ json: g.json, color: g.color });
}

/**
 * Commands that only read: where no state exists yet they create nothing
 * (no `.setpoint/`, store, log file or manifest cache). `drift` writes what
 * it observed only into a state that exists.
 */
const READ_ONLY = new Set([
  'validate',
  'render',
  'plan',
  'drift',
  'status',
  'get',
  'describe',
  'history',
  'events',
  'spans',
  'schema',
  'facts',
  'policies',
  'policy test',
  'audit',
  'audit verify',
  'audit export',
  'token list',
  'approvals',
  'alerts',
  'silence list',
  'sources',
]);

/** `token list`: the command's names below the program. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export async function openApi(cmd: Command): Promise<Setpoint> {
  const g = globals(cmd);
  // Loaded on use: `setpoint agent` (a long-lived process on every node) never needs the whole API.
  const { Setpoint } = await import('../api/index.js');
  return Setpoint.open({
    project: g.project,
    state: g.state,
    logLevel: g.logLevel,
    actor: g.actor,
    environment: g.env,
    variables: g.var,
    readOnly: READ_ONLY.has(commandPath(cmd)),
  });
}

/** The server to talk to: --server, else SETPOINT_SERVER; undefined = the local state. */
function serverOf(g: GlobalOptions): string | undefined {
  return g.server ?? (process.env.SETPOINT_SERVER || undefined);
}

/** A running server's API when --server/SETPOINT_SERVER is set, else the local one. */
export async function openClient(cmd: Command): Promise<SetpointClient> {
  const g = globals(cmd);
  const server = serverOf(g);
  if (!server) return openApi(cmd);
  const { RemoteSetpoint } = await import('../client/remote.js');
  return RemoteSetpoint.connect({ server, token: g.token ?? (process.env.SETPOINT_TOKEN || undefined) });
}

/**
 * Runs a command body with the API open; maps known errors to diagnostics and
 * exit code 1, and closes the store on the way out. The command works on the
 * local state only: an explicit --server is refused.
 */
export function run(cmd: Command, body: (api: Setpoint, o: Output) => Promise<number | void>): Promise<void> {
  return runWith(
    cmd,
    () => {
      if (globals(cmd).server !== undefined)
        throw new SetpointError(
          `\`setpoint ${cmd.name()}\` works on the local state and does not take --server`,
          'SETPOINT_INVALID_ARGUMENT',
          'run it on the server host, without --server',
        );
      return openApi(cmd);
    },
    body,
  );
}

/** Like run, for commands that also work against a running server (--server URL, SETPOINT_SERVER). */
export function runClient(
  cmd: Command,
  body: (api: SetpointClient, o: Output) => Promise<number | void>,
): Promise<void> {
  return runWith(cmd, () => openClient(cmd), body);
}

async function runWith<A extends { close(): Promise<void> }>(
  cmd: Command,
  open: () => Promise<A>,
  body: (api: A, o: Output) => Promise<number | void>,
): Promise<void> {
  const o = outputFor(cmd);
  let api: A | undefined;
  let code: number = EXIT.ok;
  try {
    api = await open();
    code = (await body(api, o)) ?? EXIT.ok;
  } catch (err) {
    code = EXIT.error;
    reportError(o, err);
  } finally {
    await api?.close().catch(() => undefined);
  }
  process.exitCode = code;
}

/** `--var name=value`, repeatable: a later value of a name wins. */
export function parseVarOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const pair = parseAssignment(value);
  if (!pair)
    throw new InvalidArgumentError(
      `expected name=value with a name of letters, digits and "_", got ${JSON.stringify(value)}`,
    );
  return { ...previous, [pair.name]: pair.value };
}

/** Repeatable options: commander calls this with each value. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseDurationOption(value: string): number {
  const ms = parseDuration(/^\d+(\.\d+)?$/.test(value) ? Number(value) : value);
  if (ms === undefined) throw new InvalidArgumentError(`not a duration: ${value} (e.g. 30s, 2m)`);
  return ms;
}

export function parseIntOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive whole number, got ${value}`);
  return n;
}
