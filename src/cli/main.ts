/**
 * The `setpoint` command line: a thin shell over the API (../api/), one
 * file per command. Exit codes: 0 success, 1 error, 2 changes/drift where
 * asked for. This module only builds the command tree (the docs generator
 * reads it too); run.ts runs it.
 */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { parseVarOption } from './context.js';
import { addExamples } from './examples.js';
import * as alerts from './commands/alerts.js';
import * as agent from './commands/agent.js';
import * as apply from './commands/apply.js';
import * as completion from './commands/completion.js';
import * as approvals from './commands/approvals.js';
import * as audit from './commands/audit.js';
import * as serve from './commands/serve.js';
import * as sources from './commands/sources.js';
import * as rollout from './commands/rollout.js';
import * as describe from './commands/describe.js';
import * as drift from './commands/drift.js';
import * as events from './commands/events.js';
import * as facts from './commands/facts.js';
import * as slo from './commands/slo.js';
import * as get from './commands/get.js';
import * as history from './commands/history.js';
import * as nodes from './commands/nodes.js';
import * as init from './commands/init.js';
import * as outputSchema from './commands/output-schema.js';
import * as plan from './commands/plan.js';
import * as policies from './commands/policies.js';
import * as policy from './commands/policy.js';
import * as render from './commands/render.js';
import * as schema from './commands/schema.js';
import * as silence from './commands/silence.js';
import * as spans from './commands/spans.js';
import * as state from './commands/state.js';
import * as stateRecords from './commands/state-records.js';
import * as status from './commands/status.js';
import * as token from './commands/token.js';
import * as validate from './commands/validate.js';
import * as version from './commands/version.js';

export function buildProgram(): Command {
  const program = new Command('setpoint')
    .description('A desired-state engine: declare, observe, compare, converge, report.')
    .version(VERSION, '-V, --version')
    .option(
      '-C, --project <dir>',
      'project root (default: nearest folder with setpoint.yaml, else the current one)',
    )
    .option(
      '--state <path>',
      'state store: SQLite file or postgres://user@host/db URL (default: $SETPOINT_STATE_URL, else state: in setpoint.yaml, else .setpoint/state.db)',
    )
    .option('--json', 'machine-readable output')
    .option('--no-color', 'no colours, even on a terminal')
    .option('--log-level <level>', 'debug, info, warn or error (JSON log in .setpoint/setpoint.log)')
    .option('--actor <name>', 'who is acting, for the audit log (default: the OS user)')
    .option(
      '--env <name>',
      'environment whose overlays and variables apply (default: $SETPOINT_ENV, else none)',
    )
    .option(
      '--var <name=value>',
      'set a variable; wins over SETPOINT_VAR_<name> and setpoint.yaml (repeatable)',
      parseVarOption,
      {},
    )
    .option(
      '--server <url>',
      'talk to a running `setpoint serve` (status, get, describe, events, spans, history, audit, approvals, approve, reject, resume, sync, sources, rollout, token); default $SETPOINT_SERVER',
    )
    .option('--token <token>', 'API token for --server (default: $SETPOINT_TOKEN)')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true);
  for (const command of [
    init,
    validate,
    render,
    plan,
    apply,
    drift,
    serve,
    agent,
    nodes,
    approvals,
    sources,
    rollout,
    status,
    get,
    describe,
    history,
    events,
    spans,
    audit,
    token,
    policies,
    policy,
    alerts,
    silence,
    schema,
    state,
    facts,
    slo,
    stateRecords,
    outputSchema,
    version,
  ])
    command.register(program);
  // Last: they read the whole command tree.
  addExamples(program);
  completion.register(program);
  return program;
}
