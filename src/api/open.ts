/** Opening a project: settings, environment and variables, logger, plug-ins, manifest cache. */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { SetpointError } from '../errors.js';
import { FileCompiledCache, type CompiledCache } from '../manifest/index.js';
import { loadPlugins } from '../provider/plugins.js';
import { loadSettings, stateDir } from '../project/index.js';
import { resolveRenderInputs } from '../render/index.js';
import { factSource } from '../facts/index.js';
import { createLogger, silentLogger } from '../telemetry/index.js';
import { codeIdentity } from '../version.js';
import { ApiContext } from './context.js';
import type { OpenOptions } from './types.js';

/** The environment variable naming the state store when --state is not given. */
export const STATE_URL_ENV = 'SETPOINT_STATE_URL';

export async function openContext(options: OpenOptions = {}): Promise<ApiContext> {
  const { settings, diagnostics } = loadSettings(
    options.project ?? options.cwd ?? process.cwd(),
    options.project !== undefined,
  );
  if (diagnostics.hasErrors)
    throw new SetpointError(
      `invalid settings in ${settings.file}`,
      'SETPOINT_SETTINGS_INVALID',
      'fix setpoint.yaml',
      diagnostics.items,
    );
  const facts = factSource({ dir: settings.facts.dir, timeoutMs: settings.facts.timeoutMs });
  const rendering = resolveRenderInputs(
    settings,
    { environment: options.environment, variables: options.variables, env: process.env, facts },
    diagnostics,
  );
  if (diagnostics.hasErrors)
    throw new SetpointError(
      'invalid environment or variables',
      'SETPOINT_RENDER_INVALID',
      undefined,
      diagnostics.items,
    );
  // --state, then SETPOINT_STATE_URL, then state: in setpoint.yaml.
  const chosen = options.state || process.env[STATE_URL_ENV] || undefined;
  const state = chosen ? (chosen.includes('://') ? chosen : resolve(chosen)) : settings.state;
  // The password reference of setpoint.yaml goes with its URL only, never to another server's.
  const statePasswordRef = state === settings.state ? settings.statePasswordRef : undefined;
  const workDir = stateDir(settings, state);
  // A read-only command where no state exists yet writes nothing (no folder, store, log or cache).
  const ephemeral = options.readOnly === true && !state.includes('://') && !existsSync(state);
  const logFile =
    options.logFile === false || ephemeral
      ? undefined
      : (options.logFile ?? settings.log.file ?? join(workDir, 'setpoint.log'));
  const logger =
    options.logger ??
    (logFile === undefined
      ? silentLogger()
      : createLogger({ file: logFile, level: options.logLevel ?? settings.log.level }));
  // All built-in providers, loaded here only when no registry is given (the agent brings a lazy one).
  const registry = options.registry ?? (await import('../providers/index.js')).defaultRegistry();
  if (settings.plugins.length > 0) await loadPlugins(settings.plugins, settings.root, registry);
  // The variables shape documents: they are part of the cache key (overlays bypass the cache).
  const variables = JSON.stringify([...rendering.variables].map(([k, v]) => [k, v.value]));
  const files = new FileCompiledCache(
    join(workDir, 'cache', 'manifests'),
    `${codeIdentity()}|${registry.fingerprint()}|${settings.namespace}|${variables}`,
  );
  const manifestCache: CompiledCache = ephemeral
    ? { key: (f, b) => files.key(f, b), get: () => undefined, set: () => undefined }
    : files;
  return new ApiContext({
    settings,
    registry,
    logger,
    actor: options.actor ?? currentUser(),
    stateLocation: state,
    statePasswordRef,
    manifestCache,
    rendering,
    ephemeral,
  });
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}
