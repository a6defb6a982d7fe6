/**
 * Admission of a revision, as a whole: everything the manifests refer to must
 * resolve (source files; secrets are not needed to admit), then the checks
 * that can refuse it (signatures, ownership) add their diagnostics. A refused
 * revision changes nothing: the previous one stays in force.
 */
import type { Diagnostic } from '../manifest/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import { SecretResolver } from '../secrets/index.js';
import type { DesiredState } from '../engine/desired.js';
import { observeAll, revisionDigest } from '../engine/observe.js';

/** Answers every secret reference with a placeholder: admission never needs a secret's value. */
class PlaceholderSecrets extends SecretResolver {
  override async resolve(): Promise<string> {
    return '';
  }
}

export interface Checked {
  diagnostics: Diagnostic[];
  /** Digest of the rendered desired set ('' when it does not load). */
  digest: string;
}

/** Loads what every resource refers to, without touching a target; returns all problems and the digest. */
export async function checkDesired(desired: DesiredState, registry: ProviderRegistry): Promise<Checked> {
  const diagnostics = [...desired.diagnostics.items];
  if (desired.diagnostics.hasErrors) return { diagnostics, digest: '' };
  const observations = await observeAll(desired.resources, {
    registry,
    secrets: new PlaceholderSecrets(),
    sourceRootOf: (f) => desired.sourceRootOf(f),
    locator: desired.locator,
    onEvent: () => undefined,
    parallelism: 16,
    resolveOnly: true,
  });
  for (const o of observations) if (o.error) diagnostics.push(o.error);
  // Policies are part of the revision: changing one alone makes a new revision.
  return { diagnostics, digest: revisionDigest([...observations, ...desired.policies.digestEntries()]) };
}
