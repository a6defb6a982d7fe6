/**
 * `setpoint agent`: one node's part of the fleet. The agent is `serve` over a
 * project of its own in its state folder — its only source is the folder the
 * server's set is written to, its store a local SQLite file — plus the link
 * to the server (fleet/agent.ts). So the node gets exactly serve's loop:
 * event-driven drift repair, remediation policies, windows, thrash guard;
 * and it keeps enforcing its last set when the server is away.
 *
 *   <state>/credential.json   the node's token (0600)
 *   <state>/project/          setpoint.yaml, desired/set.json (+ desired/files/<sha256>), facts.d/node.json
 *   <state>/state.db          the local store (status, events, audit)
 *   <state>/reports/          batches waiting for the server (bounded)
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SetpointError } from '../errors.js';
import { builtinFacts } from '../facts/index.js';
import { AgentLink } from '../fleet/agent.js';
import { FleetClient, ServerUnavailableError } from '../fleet/client.js';
import { ReportCollector } from '../fleet/collector.js';
import { readCredential, writeCredential, type Credential } from '../fleet/credential.js';
import { ReportBuffer } from '../fleet/report-buffer.js';
import { NodeGatesLink } from '../fleet/node-gates.js';
import { NodeWindowGate } from '../fleet/node-windows.js';
import { NAME_PATTERN } from '../manifest/index.js';
import { builtinLoader, lazyRegistry } from '../providers/lazy.js';
import type { Manager } from '../engine/controller/manager.js';
import { LOCK_TTL_ENV } from '../store/lock.js';
import { VERSION } from '../version.js';
import { defaultAgentState } from './agent-state.js';
import { openContext } from './open.js';
import { serve } from './serve.js';

export interface AgentOptions {
  /** The server's URL; defaults to the one in the credential. */
  server?: string;
  /** Needed the first time (no credential yet). */
  enrollToken?: string;
  /** Defaults to the host name. */
  name?: string;
  /** The agent's state folder. Defaults to /var/lib/setpoint-agent as root, else ~/.setpoint-agent. */
  state?: string;
  labels?: Record<string, string>;
  /** Overrides the server's check interval. */
  checkIntervalMs?: number;
  /** Overrides the local resync period. Defaults to 5 min. */
  resyncMs?: number;
  /** How long one long poll waits. Defaults to 30 s. */
  waitSeconds?: number;
  /** Batches kept while the server is away. Defaults to 1000. */
  maxBatches?: number;
  /** Called with progress lines (enrolled, first set...). */
  say?: (line: string) => void;
}

export interface RunningAgent {
  name: string;
  manager: Manager;
  link: AgentLink;
  /** Stops the link, then serve. */
  stop(): Promise<void>;
}

export { defaultAgentState };

/**
 * When the agent looks for commands (`setpoint resume`, `sync`... run on the
 * node) in its local store: when the store's file is written (a watch on the
 * state folder), plus every 30 s for what a watch misses, so an idle agent
 * does not wake every second to look; once a second when the folder cannot
 * be watched. Only the CLI on the same node writes commands there. The
 * server's approvals and windows (fleet/node-gates.ts) are written by the
 * agent itself, which looks right after.
 */
export const AGENT_COMMAND_FALLBACK_MS = 30_000;
export const AGENT_COMMAND_POLL_MS = 1_000;

/**
 * The agent's lease on its state (store/lock.ts): 60 s, renewed every 20 s
 * (serve: 15 s, every 5 s; each renewal is a write that wakes the agent). It
 * keeps a second agent or serve started on the same state folder from acting
 * beside this one. That process runs on the same host, so it takes over at
 * once when this agent dies (the holder's pid is gone) or stops (released);
 * the TTL only bounds its wait after this agent froze without dying
 * (SIGSTOP), and a frozen agent that wakes is fenced either way.
 * SETPOINT_LOCK_TTL_MS overrides it, as for serve.
 */
export const AGENT_LEASE_TTL_MS = 60_000;

/** Enrols when there is no credential yet, writes the agent's project, starts serve and the link. */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const state = resolve(options.state ?? defaultAgentState());
  mkdirSync(state, { recursive: true, mode: 0o700 });
  const credentialFile = join(state, 'credential.json');
  const say = options.say ?? (() => undefined);
  let credential = readCredential(credentialFile);
  const labels = options.labels ?? {};
  if (!credential) credential = await enrol(options, labels, credentialFile);
  else if (options.server && new URL(options.server).origin !== new URL(credential.server).origin)
    throw new SetpointError(
      `this agent is enrolled with ${credential.server}, not ${options.server}`,
      'SETPOINT_INVALID_ARGUMENT',
      `use another --state for a second server, or remove ${credentialFile} to enrol again`,
    );
  else say(`setpoint agent: node ${credential.name}, enrolled with ${credential.server}`);
  const project = writeProject(state, credential, labels, options.resyncMs);
  // Only the providers of the kinds this node runs are loaded (before each new set: prepare below).
  const registry = lazyRegistry();
  const ctx = await openContext({ project, actor: `node:${credential.name}`, registry });
  // The windows that select this node, as the server last sent them (fleet/node-gates.ts keeps them current).
  const windows = new NodeWindowGate(join(state, 'windows.json'));
  const { serve: controller } = await serve(ctx, {
    start: false,
    replicaId: credential.name,
    windows,
    // Nothing reads the agent's metrics (it serves no /metrics): no process metrics and their event-loop monitor.
    processMetrics: false,
    pollMs: AGENT_COMMAND_POLL_MS,
    commandFallbackMs: AGENT_COMMAND_FALLBACK_MS,
    leaseTtlMs: process.env[LOCK_TTL_ENV] ? undefined : AGENT_LEASE_TTL_MS,
  });
  const store = await ctx.store();
  // The set in force, and what the store still holds (prune candidates of a set that changed while stopped).
  await registry.load([
    ...kindsInForce(join(project, 'desired')),
    ...(await store.listResources()).map((r) => r.kind),
  ]);
  const client = new FleetClient(credential.server, credential.token, credential.name);
  const link = new AgentLink({
    client,
    credential,
    credentialFile,
    setDir: join(project, 'desired'),
    setRecordFile: join(state, 'set.json'),
    buffer: new ReportBuffer({ dir: join(state, 'reports'), maxBatches: options.maxBatches }),
    collector: new ReportCollector({
      store,
      oldCursorFile: join(state, 'report-cursor.json'),
      agentVersion: VERSION,
      node: credential.name,
    }),
    logger: ctx.logger,
    checkIntervalMs: options.checkIntervalMs,
    waitSeconds: options.waitSeconds,
    prepare: (set) => registry.load(set.documents.map((d) => d.kind)),
  });
  const gates = new NodeGatesLink({
    client,
    node: credential.name,
    store,
    gate: windows,
    revision: () => link.current?.revision,
    revisionsFile: join(state, 'approval-revisions.json'),
    logger: ctx.logger,
    commandsWritten: () => controller.commandsWritten(),
    checkIntervalMs: options.checkIntervalMs ?? credential.checkIntervalMs,
    waitSeconds: options.waitSeconds,
  });
  controller.onFlushed(() => {
    link.reportSoon();
    gates.soon();
  });
  // Windows first: a set must not be acted on before the windows that hold it are known.
  await gates.first();
  const manager = controller.manager();
  await manager.start();
  link.start();
  gates.start();
  const set = link.current;
  say(
    set
      ? `setpoint agent: enforcing set ${set.digest.slice(0, 12)} (revision ${set.revision}, ${set.resources} resource(s)); Ctrl-C or SIGTERM to stop`
      : 'setpoint agent: waiting for the first set from the server; Ctrl-C or SIGTERM to stop',
  );
  return {
    name: credential.name,
    manager,
    link,
    stop: async () => {
      await manager.stop();
      await gates.stop();
      await link.stop();
      client.close();
      await ctx.storeOpened?.then((s) => s.close());
    },
  };
}

async function enrol(
  options: AgentOptions,
  labels: Record<string, string>,
  credentialFile: string,
): Promise<Credential> {
  if (!options.server || !options.enrollToken)
    throw new SetpointError(
      `no credential in ${credentialFile}: the agent must enrol first`,
      'SETPOINT_INVALID_ARGUMENT',
      'give --server URL and --enroll-token TOKEN (an admin makes one with `setpoint nodes enroll-token --ttl 1h`)',
    );
  const name = options.name ?? hostname().split('.')[0].toLowerCase();
  if (!NAME_PATTERN.test(name))
    throw new SetpointError(
      `"${name}" cannot be a node name`,
      'SETPOINT_INVALID_ARGUMENT',
      'give --name with letters, digits, ".", "_" or "-"',
    );
  const facts = { ...builtinFacts(), node: { name, labels } } as unknown as Record<string, unknown>;
  const client = new FleetClient(options.server, undefined, name);
  const key = randomBytes(32).toString('base64url');
  const got = await enrolWithRetries(
    () => client.enroll({ token: options.enrollToken!, labels, facts, agentVersion: VERSION }, key),
    options.say,
  ).finally(() => client.close());
  const credential: Credential = {
    server: options.server,
    name: got.name,
    token: got.token,
    ...(got.publicKey ? { publicKey: got.publicKey } : {}),
    enrolledAt: new Date().toISOString(),
    labels: got.labels,
    checkIntervalMs: got.checkIntervalMs,
  };
  writeCredential(credentialFile, credential);
  options.say?.(
    `setpoint agent: enrolled as node ${got.name} with ${options.server} (labels ${
      Object.entries(got.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'none'
    }); credential in ${credentialFile}`,
  );
  return credential;
}

/**
 * Enrols; while the server is unreachable or busy (a fleet starting at once,
 * a server restarting) tries again with jittered backoff, for about a minute,
 * before giving up. A refusal (bad token) fails at once.
 */
async function enrolWithRetries<T>(call: () => Promise<T>, say?: (line: string) => void): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ServerUnavailableError) || Date.now() > deadline) throw err;
      const wait = Math.min(10_000, 250 * 2 ** attempt) * (0.5 + Math.random() * 0.5);
      say?.(`setpoint agent: ${err.message}; enrolling again in ${(wait / 1000).toFixed(1)} s`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** The agent's own project: its settings, the set's folder and the node's facts (`${facts.node.*}`). */
function writeProject(
  state: string,
  credential: Credential,
  labels: Record<string, string>,
  resyncMs?: number,
): string {
  const project = join(state, 'project');
  mkdirSync(join(project, 'desired'), { recursive: true });
  mkdirSync(join(project, 'facts.d'), { recursive: true });
  const settings = {
    manifests: ['desired'],
    state: join(state, 'state.db'),
    facts: { dir: 'facts.d' },
    log: { file: join(state, 'agent.log') },
    ...(resyncMs ? { reconcile: { resync: `${Math.round(resyncMs / 1000)}s` } } : {}),
  };
  // JSON is YAML: the agent loads no YAML writer for its own settings.
  atomic(
    join(project, 'setpoint.yaml'),
    `# Written by setpoint agent at each start.\n${JSON.stringify(settings, null, 2)}\n`,
  );
  atomic(
    join(project, 'facts.d', 'node.json'),
    JSON.stringify({ node: { name: credential.name, labels: credential.labels ?? labels } }) + '\n',
  );
  return project;
}

/** The kinds of the set written in `setDir` (all built-in kinds for a YAML set of an earlier agent). */
function kindsInForce(setDir: string): readonly string[] {
  if (existsSync(join(setDir, 'set.yaml'))) return builtinLoader.kinds;
  const file = join(setDir, 'set.json');
  if (!existsSync(file)) return [];
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as Array<{ kind?: unknown }>)
      .map((d) => d.kind)
      .filter((k): k is string => typeof k === 'string');
  } catch {
    return [];
  }
}

function atomic(file: string, text: string): void {
  writeFileSync(file + '.tmp', text);
  renameSync(file + '.tmp', file);
}
