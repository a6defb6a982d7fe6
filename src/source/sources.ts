/**
 * The project's sources as one thing: what each is (folder or Git), fetching
 * and admitting revisions, and what each stands at now (a pinned revision,
 * or the latest admitted one). Every revision is recorded, admitted or
 * refused with its diagnostics; admission and pins are audited.
 */
import { SetpointError } from '../errors.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Diagnostics, FieldLocator, type Diagnostic } from '../manifest/index.js';
import { PolicySet } from '../policy/index.js';
import type { Violation } from '../policy/index.js';
import type { ProviderRegistry } from '../provider/registry.js';
import type { Settings } from '../project/index.js';
import type { SecretResolver } from '../secrets/index.js';
import type { RevisionRecord, SourceState, Store } from '../store/index.js';
import { combineDesired, type DesiredState } from '../desired/desired.js';
import type { CheckDesired } from './admission.js';
import type { GitConfig, VerifyConfig } from './config.js';
import { GitError, GitRepository, type CommitInfo } from './git.js';
import { SignatureError, verifyFolder } from './signing.js';

export interface SourceDef {
  name: string;
  /** Folders of a local source (absolute). */
  paths?: string[];
  git?: GitConfig;
  verify?: VerifyConfig;
}

export interface Admission {
  source: string;
  revision: RevisionRecord;
  /** The loaded desired state; undefined when refused. */
  desired?: DesiredState;
  diagnostics: Diagnostic[];
  /** The revision was already known (same content again). */
  known?: boolean;
  /** Policy violations of the revision's desired state, all actions (deny ones refused it). */
  violations?: Violation[];
}

export class SourceError extends SetpointError {
  declare readonly hint: string;
  constructor(message: string, code: string, hint: string, diagnostics: Diagnostic[] = []) {
    super(message, code, hint, diagnostics);
  }
}

export interface SourceSetOptions {
  settings: Settings;
  store: Store;
  registry: ProviderRegistry;
  secrets: SecretResolver;
  /** Where mirrors and exported trees live (the state folder's `sources/`). */
  workDir: string;
  /** Loads manifests under `paths` as the desired state of `source`. */
  load(paths: readonly string[], source: string): Promise<DesiredState>;
  /** Resolves what a loaded desired state refers to, and digests it (admission). */
  check: CheckDesired;
  actor: string;
  /** Overrides the configured sources with one folder source "local" (`-f` paths). */
  paths?: readonly string[];
}

/** Told about every fetch of a Git source: whether it worked and, if not, why (e.g. for fetch-health metrics). */
export type FetchListener = (source: string, ok: boolean, error?: unknown) => void;

export class SourceSet {
  private readonly repos = new Map<string, GitRepository>();
  private readonly fetchListeners = new Set<FetchListener>();

  /** Calls `listener` after each fetch of a Git source; returns the unsubscribe. */
  onFetch(listener: FetchListener): () => void {
    this.fetchListeners.add(listener);
    return () => this.fetchListeners.delete(listener);
  }

  private fetched(source: string, ok: boolean, error?: unknown): void {
    for (const l of this.fetchListeners) {
      try {
        l(source, ok, error);
      } catch {
        // A listener's failure is not the fetch's.
      }
    }
  }

  constructor(private readonly options: SourceSetOptions) {}

  /** The sources, in settings order (`manifests:` is one local source named "local"). */
  defs(): SourceDef[] {
    const { settings } = this.options;
    if (this.options.paths && this.options.paths.length > 0)
      return [{ name: 'local', paths: this.options.paths.map((p) => resolve(p)) }];
    if (settings.sources.length === 0) return [{ name: 'local', paths: settings.manifests }];
    return settings.sources.map((s) => ({
      name: s.name,
      paths: s.path !== undefined ? [resolve(settings.root, s.path)] : undefined,
      git: s.git,
      verify: s.verify,
    }));
  }

  get(name: string): SourceDef {
    const def = this.defs().find((d) => d.name === name);
    if (!def)
      throw new SourceError(
        `no source named ${name}`,
        'SETPOINT_UNKNOWN_SOURCE',
        `sources: ${this.defs()
          .map((d) => d.name)
          .join(', ')}`,
      );
    return def;
  }

  private repo(def: SourceDef): GitRepository {
    let repo = this.repos.get(def.name);
    if (!repo) {
      const token = def.git!.token;
      repo = new GitRepository(
        join(this.options.workDir, def.name),
        def.git!,
        this.options.settings.root,
        token ? () => this.options.secrets.resolve(token.secretRef, this.options.settings.root) : undefined,
      );
      this.repos.set(def.name, repo);
    }
    return repo;
  }

  /** Fetches a Git source (a folder source is read as it is) and admits what it holds now. */
  async sync(name: string): Promise<Admission> {
    const def = this.get(name);
    const { store } = this.options;
    if (!def.git) return this.admit(def, def.paths!);
    let commit: CommitInfo;
    try {
      commit = await this.repo(def).fetch();
    } catch (err) {
      this.fetched(name, false, err);
      await store.updateSource(name, (state) => ({
        ...state,
        lastFetchAt: new Date().toISOString(),
        lastError: (err as Error).message,
      }));
      throw err;
    }
    this.fetched(name, true);
    await store.updateSource(name, (state) => ({
      ...state,
      lastFetchAt: new Date().toISOString(),
      lastCommit: commit.sha,
      lastError: undefined,
    }));
    const known = (await store.listRevisions({ source: name, limit: 1000 })).find(
      (r) => r.commit === commit.sha,
    );
    if (known) {
      // The same commit again: nothing new to admit; answer with what it was.
      const desired = known.admitted
        ? await this.options.load([await this.repo(def).checkout(commit.sha)], name)
        : undefined;
      return { source: name, revision: known, desired, diagnostics: known.diagnostics ?? [], known: true };
    }
    const dir = await this.repo(def).checkout(commit.sha);
    return this.admit(def, [dir], commit);
  }

  /**
   * Admits a revision as a whole: load, validate, resolve what it refers to,
   * check its signature and ownership. Records it; makes it current when
   * admitted. Refused revisions change nothing else.
   */
  async admit(def: SourceDef, paths: readonly string[], commit?: CommitInfo): Promise<Admission> {
    const { store } = this.options;
    // The signature first: manifests may be code (TypeScript), and unverified code never runs.
    let signature: string | undefined;
    let signatureProblem: Diagnostic | undefined;
    if (def.verify) {
      try {
        signature = await this.verify(def, paths, commit);
      } catch (err) {
        const e = err as SignatureError;
        signatureProblem = {
          severity: 'error',
          code: e.code ?? 'SETPOINT_SIGNATURE_INVALID',
          summary: `revision refused: ${e.message}`,
          file: commit ? undefined : paths[0],
          hint: e.hint,
        };
      }
    }
    const desired = signatureProblem ? emptyDesired(def.name) : await this.options.load(paths, def.name);
    const { diagnostics, digest } = signatureProblem
      ? { diagnostics: [signatureProblem], digest: '' }
      : await this.options.check(desired);
    diagnostics.push(...(await this.ownershipConflicts(def.name, desired)));
    const admitted = !diagnostics.some((d) => d.severity === 'error');
    const now = new Date().toISOString();
    // Content-addressed ids: the same folder content (or the same problems) is the same revision.
    const id = commit
      ? commit.sha.slice(0, 12)
      : admitted
        ? digest.slice(0, 16)
        : 'r' +
          createHash('sha256')
            .update(JSON.stringify(diagnostics.map((d) => [d.file, d.line, d.summary])))
            .digest('hex')
            .slice(0, 15);
    const known = await store.getRevision(id);
    if (known && known.id === id && known.source === def.name) {
      if (admitted && (await store.getSource(def.name))?.current !== id)
        await store.updateSource(def.name, (state) => ({ ...state, current: id }));
      return {
        source: def.name,
        revision: known,
        desired: admitted ? desired : undefined,
        diagnostics,
        known: true,
      };
    }
    const revision: RevisionRecord = {
      id,
      digest,
      source: def.name,
      createdAt: now,
      resourceCount: desired.resources.length,
      origin: commit
        ? `${def.git!.url}@${def.git!.ref ?? 'main'}${def.git!.path ? `:${def.git!.path}` : ''}`
        : desired.origin,
      author: commit?.author,
      message: commit?.message,
      commit: commit?.sha,
      committedAt: commit?.committedAt,
      admitted,
      diagnostics: diagnostics.length ? diagnostics : undefined,
      ...(signature ? { signature } : {}),
    };
    await store.putRevision(revision);
    await store.appendAudit([
      {
        time: now,
        actor: this.options.actor,
        action: admitted ? 'revision.admit' : 'revision.refuse',
        revisionId: revision.id,
        result: admitted ? 'admitted' : 'refused',
        detail: {
          source: def.name,
          commit: commit?.sha,
          problems: diagnostics.filter((d) => d.severity === 'error').length,
          signature,
        },
      },
    ]);
    if (admitted) await store.updateSource(def.name, (state) => ({ ...state, current: revision.id }));
    return {
      source: def.name,
      revision,
      desired: admitted ? desired : undefined,
      diagnostics,
      violations: desired.violations,
    };
  }

  private async verify(def: SourceDef, paths: readonly string[], commit?: CommitInfo): Promise<string> {
    const verify = def.verify!;
    if (commit) {
      const r = await this.repo(def).verify(commit.sha, verify);
      if (!r.ok)
        throw new SignatureError(
          `commit ${commit.sha.slice(0, 12)}: ${r.detail}`,
          'only commits signed by a key in verify.allowedSigners / verify.keyring are admitted',
        );
      return r.detail;
    }
    const keyFile = resolve(this.options.settings.root, verify.publicKey!);
    if (!existsSync(keyFile))
      throw new SignatureError(`the public key ${keyFile} does not exist`, 'make one with `setpoint keygen`');
    const sig = verifyFolder(paths[0], readFileSync(keyFile, 'utf8'));
    return `signed by key ${sig.keyId} at ${sig.signedAt}`;
  }

  /** Ids this revision declares that another source already owns. */
  private async ownershipConflicts(source: string, desired: DesiredState): Promise<Diagnostic[]> {
    const out: Diagnostic[] = [];
    for (const other of this.defs()) {
      if (other.name === source) continue;
      const owned = new Map(
        (await this.options.store.listResourceSummaries(other.name))
          .filter((r) => r.declared)
          .map((r) => [r.id, r]),
      );
      if (owned.size === 0) continue;
      const records = new Map(
        (
          await this.options.store.listResources({
            source: other.name,
            ids: desired.resources.filter((r) => owned.has(r.id)).map((r) => r.id),
          })
        ).map((r) => [r.id, r]),
      );
      for (const r of desired.resources) {
        const theirs = records.get(r.id);
        if (!theirs) continue;
        out.push({
          severity: 'error',
          code: 'SETPOINT_OWNERSHIP_CONFLICT',
          summary: `${r.id} is owned by source ${other.name}; source ${source} cannot declare it too`,
          file: r.origin.file,
          line: r.origin.line,
          column: r.origin.column,
          resourceId: r.id,
          detail: `owned by source ${other.name}, declared at ${theirs.origin ?? 'unknown'}`,
          hint: 'each resource belongs to one source: remove it from one of them',
        });
      }
    }
    return out;
  }

  /**
   * What a source stands at now: its pinned revision, else its latest
   * admitted one (a folder source: the folder as it is, admitted now). A Git
   * source never synced is synced first.
   */
  async current(name: string): Promise<Admission> {
    const def = this.get(name);
    const { store } = this.options;
    const state = await store.getSource(name);
    const revId = state?.pinned ?? (def.git ? state?.current : undefined);
    if (revId) {
      const revision = await store.getRevision(revId);
      if (!revision)
        throw new SourceError(
          `revision ${revId} of source ${name} is not in the state`,
          'SETPOINT_UNKNOWN_REVISION',
          'run `setpoint history`',
        );
      if (def.git) {
        const repo = this.repo(def);
        if (!revision.commit || !(await repo.has(revision.commit))) {
          try {
            await repo.fetch();
            this.fetched(name, true);
          } catch (err) {
            this.fetched(name, false, err);
            throw err;
          }
        }
        const desired = await this.options.load([await repo.checkout(revision.commit!)], name);
        return { source: name, revision, desired, diagnostics: desired.diagnostics.items };
      }
    }
    if (def.git) return this.sync(name);
    return this.admit(def, def.paths!);
  }

  /** One admitted revision of a Git source, loaded from its commit (a rollout's previous revision). */
  async load(name: string, revisionId: string): Promise<Admission> {
    const def = this.get(name);
    const revision = await this.options.store.getRevision(revisionId);
    if (!def.git || !revision?.commit || !revision.admitted)
      throw new SourceError(
        `revision ${revisionId} of source ${name} cannot be loaded`,
        'SETPOINT_UNKNOWN_REVISION',
        'only admitted revisions of Git sources can be loaded again; run `setpoint history`',
      );
    const repo = this.repo(def);
    if (!(await repo.has(revision.commit))) await repo.fetch();
    const desired = await this.options.load([await repo.checkout(revision.commit)], name);
    return { source: name, revision, desired, diagnostics: desired.diagnostics.items };
  }

  /** The combined desired state of every source as it stands now; refused sources make it refused. */
  async currentDesired(): Promise<{ desired: DesiredState; admissions: Admission[] }> {
    const admissions: Admission[] = [];
    for (const def of this.defs()) admissions.push(await this.current(def.name));
    const refused = admissions.filter((a) => !a.desired);
    if (refused.length > 0) {
      const diagnostics = refused.flatMap((a) => a.diagnostics);
      throw new SourceError(
        `source ${refused.map((a) => a.source).join(', ')} has no admissible revision`,
        'SETPOINT_REVISION_REFUSED',
        diagnostics.length ? 'fix the problems above' : 'run `setpoint sync`',
        diagnostics,
      );
    }
    return { desired: combineDesired(admissions.map((a) => a.desired!)), admissions };
  }

  /** Pins a Git source to an admitted revision (by revision id or commit prefix); `actor` (for the audit log) defaults to the set's. */
  async pin(name: string, ref: string, actor = this.options.actor): Promise<RevisionRecord> {
    const def = this.get(name);
    if (!def.git)
      throw new SourceError(
        `source ${name} is a folder: it has no history to roll back to`,
        'SETPOINT_NO_HISTORY',
        'keep desired state in Git to roll back, or restore the folder by hand',
      );
    const { store } = this.options;
    const revisions = await store.listRevisions({ source: name, limit: 10_000 });
    const matches = revisions.filter((r) => r.id.startsWith(ref) || (r.commit ?? '').startsWith(ref));
    if (matches.length === 0)
      throw new SourceError(
        `no revision ${ref} of source ${name}`,
        'SETPOINT_UNKNOWN_REVISION',
        'run `setpoint history` for the revisions',
      );
    if (matches.length > 1)
      throw new SourceError(
        `revision ${ref} is ambiguous (${matches.length} match)`,
        'SETPOINT_UNKNOWN_REVISION',
        'give more characters',
      );
    const revision = matches[0];
    if (!revision.admitted)
      throw new SourceError(
        `revision ${revision.id} was refused; it cannot be the desired state`,
        'SETPOINT_REVISION_REFUSED',
        'pick an admitted revision',
      );
    const now = new Date().toISOString();
    await store.updateSource(name, (state) => ({
      ...state,
      pinned: revision.id,
      pinnedBy: actor,
      pinnedAt: now,
    }));
    await store.appendAudit([
      {
        time: now,
        actor,
        action: 'source.pin',
        revisionId: revision.id,
        result: 'pinned',
        detail: { source: name, commit: revision.commit },
      },
    ]);
    await store.appendNudge({ reason: 'sync', actor, at: now });
    return revision;
  }

  async unpin(name: string, actor = this.options.actor): Promise<SourceState> {
    const { store } = this.options;
    let pinned: string | undefined;
    const next = await store.updateSource(name, (state) => {
      pinned = state.pinned;
      return { ...state, pinned: undefined, pinnedBy: undefined, pinnedAt: undefined };
    });
    if (!pinned)
      throw new SourceError(`source ${name} is not pinned`, 'SETPOINT_NOT_PINNED', 'nothing to do');
    const now = new Date().toISOString();
    await store.appendAudit([
      {
        time: now,
        actor,
        action: 'source.unpin',
        revisionId: pinned,
        result: 'unpinned',
        detail: { source: name },
      },
    ]);
    await store.appendNudge({ reason: 'sync', actor, at: now });
    return next;
  }

  /** Git errors carry their own code and hint. */
  static isSourceError(err: unknown): err is SourceError | GitError | SignatureError {
    return err instanceof SourceError || err instanceof GitError || err instanceof SignatureError;
  }
}

/** A desired state with nothing in it, standing for a revision that was not loaded. */
function emptyDesired(source: string): DesiredState {
  const locator = new FieldLocator();
  return {
    source,
    sources: [source],
    origin: '',
    resources: [],
    policies: PolicySet.EMPTY,
    violations: [],
    diagnostics: new Diagnostics(),
    locator,
    sourceRootOf: (file) => file,
  };
}
