/**
 * The engine's part of admitting a revision: everything the manifests refer
 * to must resolve (source files; secrets are not needed to admit), and the
 * revision's digest is the digest of what was resolved. SourceSet is given
 * this function (it sits below the engine and cannot import it).
 */
import type { ProviderRegistry } from '../provider/registry.js';
import { SecretResolver } from '../secrets/index.js';
import type { DesiredState } from '../desired/desired.js';
import type { Checked } from '../source/admission.js';
import { observeAll, revisionDigest } from './observe.js';

/** Answers every secret reference with a placeholder: admission never needs a secret's value. */
class PlaceholderSecrets extends SecretResolver {
  override async resolve(): Promise<string> {
    return '';
  }
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
