/**
 * Loads the desired state from manifest paths: parse, validate, dependsOn
 * graph. Nothing here touches a target.
 */
import { statSync } from 'node:fs';
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import { interpolateDocuments, renderProject, RenderedLocator, type RenderInputs } from '../render/index.js';
import { addImplicitDependencies } from './autorequire.js';
import {
  checkResourceSet,
  decodeManifest,
  Diagnostics,
  FieldLocator,
  findManifestFiles,
  isTypeScriptManifest,
  loadTypeScriptManifestOrDiagnose,
  readManifestBytes,
  readManifestFile,
  type RawDocument,
  parseManifestText,
  validateOne,
  type CompiledCache,
  type KindCatalog,
  type NodeSelector,
  type Resource,
} from '../manifest/index.js';
import { splitByPlacement } from './placement.js';
import { admitResources, PolicySet, withPolicyKind, type Violation } from '../policy/index.js';

/** Marks a manifest that reads host facts. */
const FACTS_REF = Buffer.from('${facts.');

export interface DesiredState {
  /** The owning source's name (the first, when combined). */
  source: string;
  /** Every source whose resources are in this state. */
  sources: string[];
  /** What the paths were, for revision records. */
  origin: string;
  /** The resources managed on this host (Policy documents and resources that select nodes are not among them). */
  resources: Resource[];
  /** Resources that go to enrolled nodes (a nodeSelector of their own or of their source); none when absent. */
  nodeResources?: Resource[];
  /** The revision's policies, compiled. */
  policies: PolicySet;
  /** Violations of those policies by the desired state, all actions (deny and warn ones are also diagnostics). */
  violations: Violation[];
  diagnostics: Diagnostics;
  /** Folder that files referenced by a manifest must stay inside. */
  sourceRootOf(file: string): string;
  locator: FieldLocator;
}

export interface LoadOptions {
  paths: readonly string[];
  catalog: KindCatalog;
  projectRoot: string;
  source?: string;
  defaultNamespace?: string;
  /** Compiled manifests by content; none means every file is parsed and validated. */
  cache?: CompiledCache;
  /** Variables and overlays (environments). Defaults to none. */
  render?: RenderInputs;
  /** Documents of TypeScript manifests, already loaded (loadDesiredAsync does it). */
  typescript?: ReadonlyMap<string, RawDocument[]>;
  /** The source's own nodeSelector: every resource of it goes to the nodes it selects. Defaults to none. */
  nodeSelector?: NodeSelector;
}

/**
 * loadDesired, after loading the TypeScript manifests among the paths (they
 * run in a worker: asynchronous). Every caller that may meet .ts files uses this.
 */
export async function loadDesiredAsync(options: LoadOptions): Promise<DesiredState> {
  const probe = new Diagnostics();
  const tsFiles = findManifestFiles(options.paths, probe).filter(isTypeScriptManifest);
  if (tsFiles.length === 0) return loadDesired(options);
  const typescript = new Map<string, RawDocument[]>();
  const tsDiags = new Diagnostics();
  for (const file of tsFiles) typescript.set(file, await loadTypeScriptManifestOrDiagnose(file, tsDiags));
  const desired = loadDesired({ ...options, typescript });
  desired.diagnostics.addAll(tsDiags.items);
  return desired;
}

/** The documents of every manifest file, TypeScript ones taken from `typescript`. */
function documentsOf(
  paths: readonly string[],
  diags: Diagnostics,
  typescript: ReadonlyMap<string, RawDocument[]> | undefined,
): RawDocument[] {
  const docs: RawDocument[] = [];
  for (const file of findManifestFiles(paths, diags)) {
    const got = isTypeScriptManifest(file) ? (typescript?.get(file) ?? []) : readManifestFile(file, diags);
    for (const d of got) docs.push(d);
  }
  return docs;
}

export function loadDesired(options: LoadOptions): DesiredState {
  const diagnostics = new Diagnostics();
  const render = options.render;
  const overlays = Boolean(render && render.allOverlayPaths.length > 0);
  const locator = render ? new RenderedLocator() : new FieldLocator();
  const candidates: Resource[] = [];
  // Policy documents validate like any resource, then are set apart from the managed ones.
  const validateOptions = {
    catalog: withPolicyKind(options.catalog),
    locator,
    defaultNamespace: options.defaultNamespace,
  };
  const variables = render?.variables ?? new Map();
  if (overlays) {
    // Overlays patch across files: render the whole set, then validate (no per-file cache).
    const docs = renderProject(
      documentsOf(options.paths, diagnostics, options.typescript),
      render!,
      diagnostics,
      locator,
    );
    for (const doc of docs) {
      const r = validateOne(doc, validateOptions, diagnostics);
      if (r) candidates.push(r);
    }
  } else
    for (const file of findManifestFiles(options.paths, diagnostics)) {
      if (isTypeScriptManifest(file)) {
        // Code, not data: its result depends on its imports, so it is never cached.
        let docs: RawDocument[] = options.typescript?.get(file) ?? [];
        if (
          variables.size > 0 ||
          (render?.facts && JSON.stringify(docs.map((d) => d.value)).includes('${facts.'))
        )
          docs = interpolateDocuments(
            docs,
            {
              variables,
              facts: render?.facts,
              locator,
              defaultNamespace: options.defaultNamespace,
              nodeFacts: Boolean(options.nodeSelector),
            },
            diagnostics,
          );
        for (const doc of docs) {
          const r = validateOne(doc, validateOptions, diagnostics);
          if (r) candidates.push(r);
        }
        continue;
      }
      // Bounded in size, regular files only (manifest/read.ts).
      const bytes = readManifestBytes(file, diagnostics);
      if (!bytes) continue;
      // The cache key covers the bytes; the cache's fingerprint covers the variables. Facts are
      // not in the fingerprint (they change with the host), so a file that reads them is not cached.
      const key = bytes.includes(FACTS_REF) ? undefined : options.cache?.key(file, bytes);
      const hit = key !== undefined ? options.cache!.get(file, key) : undefined;
      if (hit) {
        for (const r of hit) candidates.push(r);
        continue;
      }
      const fileDiags = new Diagnostics();
      const fileResources: Resource[] = [];
      // Invalid UTF-8 is refused, never altered into U+FFFD.
      const text = decodeManifest(file, bytes, fileDiags);
      if (text === undefined) {
        diagnostics.addAll(fileDiags.items);
        continue;
      }
      let docs = parseManifestText(file, text, fileDiags);
      if (text.includes('${'))
        docs = interpolateDocuments(
          docs,
          {
            variables,
            facts: render?.facts,
            locator,
            defaultNamespace: options.defaultNamespace,
            nodeFacts: Boolean(options.nodeSelector),
          },
          fileDiags,
        );
      for (const doc of docs) {
        const r = validateOne(doc, validateOptions, fileDiags);
        if (r) fileResources.push(r);
      }
      if (key !== undefined && !fileDiags.hasErrors) options.cache!.set(file, key, fileResources);
      diagnostics.addAll(fileDiags.items);
      for (const r of fileResources) candidates.push(r);
    }
  addImplicitDependencies(candidates);
  const source = options.source ?? 'local';
  for (const r of candidates) r.source = source;
  const admitted = admitResources(
    checkResourceSet(candidates, locator, diagnostics, validateOptions.catalog),
    diagnostics,
    { locator, kinds: options.catalog.kinds() },
  );
  const { policies, violations } = admitted;
  const { resources, nodeResources } = splitByPlacement(
    admitted.resources,
    options.nodeSelector,
    diagnostics,
  );
  const roots = options.paths.map((p) => rootFor(resolve(p), options.projectRoot));
  const rootByFile = new Map<string, string>();
  return {
    source,
    sources: [source],
    origin: options.paths.map((p) => relativeOrAbsolute(options.projectRoot, p)).join(', '),
    resources,
    ...(nodeResources.length ? { nodeResources } : {}),
    policies,
    violations,
    diagnostics,
    locator,
    sourceRootOf(file: string) {
      let root = rootByFile.get(file);
      if (root === undefined) {
        // The most specific root that contains the file.
        const hits = roots.filter((r) => isInside(r, file)).sort((a, b) => b.length - a.length);
        rootByFile.set(file, (root = hits[0] ?? dirname(file)));
      }
      return root;
    },
  };
}

/** Inside the project: the project root; otherwise the -f folder (or the file's folder). */
function rootFor(path: string, projectRoot: string): string {
  if (isInside(projectRoot, path)) return projectRoot;
  try {
    return statSync(path).isDirectory() ? path : dirname(path);
  } catch {
    return dirname(path);
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function relativeOrAbsolute(root: string, p: string): string {
  const abs = resolve(p);
  return isInside(root, abs) ? relative(root, abs) || '.' : abs;
}

/**
 * Several sources' desired states as one. An id declared by two sources
 * stays with the first (in settings order); the later declaration is an
 * error naming both locations (ownership across sources).
 */
export function combineDesired(states: readonly DesiredState[]): DesiredState {
  if (states.length === 1) return states[0];
  const diagnostics = new Diagnostics();
  const owner = new Map<string, Resource>();
  const resources: Resource[] = [];
  for (const st of states) {
    diagnostics.addAll(st.diagnostics.items);
    for (const r of st.resources) {
      const first = owner.get(r.id);
      if (first) {
        diagnostics.error({
          code: 'SETPOINT_OWNERSHIP_CONFLICT',
          summary: `${r.id} is already declared by source ${first.source}; source ${r.source} cannot declare it too`,
          file: r.origin.file,
          line: r.origin.line,
          column: r.origin.column,
          resourceId: r.id,
          detail: `first declared by source ${first.source} at ${first.origin.file}:${first.origin.line}`,
          hint: 'each resource belongs to one source: remove it from one of them',
        });
        continue;
      }
      owner.set(r.id, r);
      resources.push(r);
    }
  }
  const byFile = (file: string) =>
    states.find((s) => [...s.resources, ...(s.nodeResources ?? [])].some((r) => r.origin.file === file)) ??
    states[0];
  // Node resources of two sources with one id: the first source's wins, as above (the server warns at admission).
  const nodeResources: Resource[] = [];
  const nodeOwner = new Set<string>();
  for (const st of states)
    for (const r of st.nodeResources ?? [])
      if (!nodeOwner.has(r.id)) {
        nodeOwner.add(r.id);
        nodeResources.push(r);
      }
  return {
    source: states[0].source,
    sources: states.flatMap((s) => s.sources),
    origin: states.map((s) => s.origin).join('; '),
    resources,
    ...(nodeResources.length ? { nodeResources } : {}),
    policies: PolicySet.merge(states.map((s) => s.policies)),
    violations: states.flatMap((s) => s.violations),
    diagnostics,
    locator: states[0].locator,
    sourceRootOf: (file) => byFile(file).sourceRootOf(file),
  };
}
