/**
 * Rendering for a project: which environment is selected, the variables in
 * force and the overlay files, resolved once from setpoint.yaml, the command
 * line and the process environment; then what a loader calls between parsing
 * and validation.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import {
  closest,
  DEFAULT_NAMESPACE,
  Diagnostics,
  FieldLocator,
  loadDocuments,
  type RawDocument,
} from '../manifest/index.js';
import { renderDocuments, type RenderedDocument } from './overlays.js';
import type { FactSource } from '../facts/index.js';
import type { VariableValue } from './schema.js';
import { resolveVariables, type Variables } from './variables.js';

/** The settings rendering reads (a subset of project Settings). */
export interface RenderSettings {
  /** setpoint.yaml, when there is one: where diagnostics about environments point. */
  file?: string;
  namespace?: string;
  variables: Readonly<Record<string, VariableValue>>;
  /** Overlay paths absolute, in order. */
  environments: Readonly<
    Record<string, { overlays: readonly string[]; variables: Readonly<Record<string, VariableValue>> }>
  >;
}

/** Everything a loader needs to render; made once per run by `resolveRenderInputs`. */
export interface RenderInputs {
  /** The selected environment, if any. */
  environment?: string;
  variables: Variables;
  /** The selected environment's overlay files and folders, absolute, in the order they apply. */
  overlayPaths: string[];
  /** Overlay paths of every environment: files under them are overlays, never base manifests. */
  allOverlayPaths: string[];
  defaultNamespace: string;
  /** setpoint.yaml, for diagnostics about a missing overlay path. */
  settingsFile?: string;
  /** Host facts for `${facts.*}` (gathered on first use). Defaults to none. */
  facts?: FactSource;
}

export interface SelectOptions {
  /** The environment asked for (`--env`). Defaults to SETPOINT_ENV, else none. */
  environment?: string;
  /** `--var name=value` pairs. Defaults to none. */
  variables?: Readonly<Record<string, string>>;
  /** The process environment (SETPOINT_ENV, SETPOINT_VAR_<name>). Defaults to none. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Host facts for `${facts.*}`. Defaults to none. */
  facts?: FactSource;
}

/** Selects the environment and resolves the variables; an unknown environment is a diagnostic. */
export function resolveRenderInputs(
  settings: RenderSettings,
  options: SelectOptions,
  diags: Diagnostics,
): RenderInputs {
  const fromEnv = options.environment === undefined && Boolean(options.env?.SETPOINT_ENV);
  const name = options.environment ?? (options.env?.SETPOINT_ENV || undefined);
  const all = Object.values(settings.environments).flatMap((e) => e.overlays);
  let env = name !== undefined ? settings.environments[name] : undefined;
  if (name !== undefined && !env) {
    const names = Object.keys(settings.environments);
    const guess = closest(name, names);
    const pos =
      settings.file && names.length
        ? new FieldLocator().locateKey(settings.file, 0, ['environments'])
        : undefined;
    diags.error({
      code: 'SETPOINT_ENVIRONMENT_UNKNOWN',
      summary: `unknown environment "${name}"${fromEnv ? ' (from SETPOINT_ENV)' : ''}`,
      file: settings.file,
      line: pos?.line,
      column: pos?.column,
      detail: names.length
        ? `setpoint.yaml defines: ${names.join(', ')}`
        : 'setpoint.yaml defines no environments',
      hint: guess ? `did you mean "${guess}"?` : 'define it under environments: in setpoint.yaml',
    });
    env = undefined;
  }
  const variables = resolveVariables(
    {
      settings: settings.variables,
      environment: env && name !== undefined ? { name, variables: env.variables } : undefined,
      env: options.env,
      cli: options.variables,
    },
    diags,
  );
  return {
    environment: env ? name : undefined,
    variables,
    overlayPaths: env ? [...env.overlays] : [],
    allOverlayPaths: [...new Set(all)],
    defaultNamespace: settings.namespace ?? DEFAULT_NAMESPACE,
    settingsFile: settings.file,
    facts: options.facts,
  };
}

/** Reads the selected environment's overlay documents; a missing path points at its line in setpoint.yaml. */
export function readOverlays(inputs: RenderInputs, diags: Diagnostics): RawDocument[] {
  const locator = new FieldLocator();
  const existing = inputs.overlayPaths.filter((path, i) => {
    if (existsSync(path)) return true;
    const pos = inputs.settingsFile
      ? locator.locate(inputs.settingsFile, 0, ['environments', inputs.environment!, 'overlays', i])
      : undefined;
    diags.error({
      code: 'SETPOINT_OVERLAY_MISSING',
      summary: `no such overlay file or folder: ${path}`,
      file: inputs.settingsFile,
      line: pos?.line,
      column: pos?.column,
      field: `environments.${inputs.environment}.overlays[${i}]`,
      hint: 'overlay paths are relative to the project root',
    });
    return false;
  });
  return loadDocuments(existing, diags);
}

/** Whether `file` lies under an overlay path of any environment (so it is no base manifest). */
export function isOverlayFile(inputs: Pick<RenderInputs, 'allOverlayPaths'>, file: string): boolean {
  return inputs.allOverlayPaths.some((p) => {
    const rel = relative(p, file);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
}

/**
 * What a loader calls between parsing and validation: drops overlay files
 * that the base paths happened to include, reads the selected environment's
 * overlays and renders. Pass the locator that validation will use (a
 * RenderedLocator), so diagnostics about fields an overlay wrote point at it.
 */
export function renderProject(
  base: readonly RawDocument[],
  inputs: RenderInputs,
  diags: Diagnostics,
  locator?: FieldLocator,
): RenderedDocument[] {
  const docs = inputs.allOverlayPaths.length ? base.filter((d) => !isOverlayFile(inputs, d.file)) : base;
  const overlays = readOverlays(inputs, diags);
  return renderDocuments(
    docs,
    {
      variables: inputs.variables,
      facts: inputs.facts,
      overlays,
      defaultNamespace: inputs.defaultNamespace,
      locator,
    },
    diags,
  );
}

/** Reads the base manifests under `paths` and renders them: what `setpoint render` shows. */
export function renderPaths(
  paths: readonly string[],
  inputs: RenderInputs,
  diags: Diagnostics,
  locator?: FieldLocator,
): RenderedDocument[] {
  return renderProject(loadDocuments(paths, diags), inputs, diags, locator);
}
