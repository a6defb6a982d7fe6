/**
 * Validation as CI runs it: manifests, policies over them, then what they
 * refer to (source files, users, groups), without reading any target,
 * touching the store or resolving a secret (CI has none: every reference
 * answers with a placeholder).
 */
import { Diagnostics, type Diagnostic } from '../manifest/index.js';
import type { Violation } from '../policy/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import { SecretResolver } from '../secrets/index.js';
import { loadDesiredAsync } from '../desired/desired.js';
import type { RenderInputs } from '../render/index.js';
import { observeAll } from './observe.js';

export interface ValidateRequest {
  /** Variables and overlays of the selected environment. */
  render?: RenderInputs;
  paths: readonly string[];
  registry: ProviderRegistry;
  projectRoot: string;
  defaultNamespace?: string;
  parallelism?: number;
}

export interface ValidateResult {
  /** Managed resources (policies not counted). */
  resources: number;
  policies: number;
  /** Deny violations are also error diagnostics, warn violations warnings; audit violations are only here. */
  violations: Violation[];
  diagnostics: Diagnostic[];
}

export async function validateManifests(request: ValidateRequest): Promise<ValidateResult> {
  const desired = await loadDesiredAsync({
    paths: request.paths,
    catalog: request.registry,
    projectRoot: request.projectRoot,
    defaultNamespace: request.defaultNamespace,
    render: request.render,
  });
  const diags = new Diagnostics();
  diags.addAll(desired.diagnostics.items);
  // Resources that are valid on their own are resolved even when others are not, so one run reports every problem.
  const observations = await observeAll(desired.resources, {
    registry: request.registry,
    secrets: new DryRunSecrets(),
    sourceRootOf: (f) => desired.sourceRootOf(f),
    locator: desired.locator,
    onEvent: () => undefined,
    parallelism: request.parallelism ?? 16,
    resolveOnly: true,
    facts: request.render?.facts,
  });
  for (const o of observations) if (o.error) diags.add(o.error);
  return {
    resources: desired.resources.length,
    policies: desired.policies.size,
    violations: desired.violations,
    diagnostics: diags.items,
  };
}

/** Answers every secret reference with a placeholder; nothing is read or run. */
class DryRunSecrets extends SecretResolver {
  override async resolve(): Promise<string> {
    return '';
  }
}
