/**
 * Admission of a revision, as a whole: everything the manifests refer to must
 * resolve (source files; secrets are not needed to admit), then the checks
 * that can refuse it (signatures, ownership) add their diagnostics. A refused
 * revision changes nothing: the previous one stays in force. The resolving
 * itself is the engine's (engine/admission-check.ts), passed to SourceSet.
 */
import type { Diagnostic } from '../manifest/index.js';
import type { DesiredState } from '../desired/desired.js';

/** What admission found: every problem, and the revision's digest. */
export interface Checked {
  diagnostics: Diagnostic[];
  /** Digest of the rendered desired set ('' when it does not load). */
  digest: string;
}

/** Resolves what a desired state refers to (the engine's checkDesired, passed in). */
export type CheckDesired = (desired: DesiredState) => Promise<Checked>;
