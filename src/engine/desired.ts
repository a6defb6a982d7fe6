/**
 * Loads the desired state from manifest paths: parse, validate, dependsOn
 * graph. Nothing here touches a target.
 */
import { statSync } from 'node:fs';
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import { readFileSync } from 'node:fs';
import { addImplicitDependencies } from './autorequire.js';
import {
  checkResourceSet,
  Diagnostics,
  FieldLocator,
  findManifestFiles,
  parseManifestText,
  validateOne,
  type CompiledCache,
  type KindCatalog,
  type Resource,
} from '../manifest/index.js';

export interface DesiredState {
  /** The owning source's name. */
  source: string;
  /** What the paths were, for revision records. */
  origin: string;
  resources: Resource[];
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
}

export function loadDesired(options: LoadOptions): DesiredState {
  const diagnostics = new Diagnostics();
  const locator = new FieldLocator();
  const candidates: Resource[] = [];
  const validateOptions = { catalog: options.catalog, locator, defaultNamespace: options.defaultNamespace };
  for (const file of findManifestFiles(options.paths, diagnostics)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      diagnostics.error({ code: 'SETPOINT_MANIFEST_UNREADABLE', summary: `cannot read manifest: ${(err as Error).message}`, file, hint: 'check that the file exists and is readable' });
      continue;
    }
    const key = options.cache?.key(file, bytes);
    const hit = key !== undefined ? options.cache!.get(file, key) : undefined;
    if (hit) {
      for (const r of hit) candidates.push(r);
      continue;
    }
    const fileDiags = new Diagnostics();
    const fileResources: Resource[] = [];
    for (const doc of parseManifestText(file, bytes.toString('utf8'), fileDiags)) {
      const r = validateOne(doc, validateOptions, fileDiags);
      if (r) fileResources.push(r);
    }
    if (key !== undefined && !fileDiags.hasErrors) options.cache!.set(file, key, fileResources);
    diagnostics.addAll(fileDiags.items);
    for (const r of fileResources) candidates.push(r);
  }
  addImplicitDependencies(candidates);
  const resources = checkResourceSet(candidates, locator, diagnostics);
  const roots = options.paths.map((p) => rootFor(resolve(p), options.projectRoot));
  const rootByFile = new Map<string, string>();
  return {
    source: options.source ?? 'local',
    origin: options.paths.map((p) => relativeOrAbsolute(options.projectRoot, p)).join(', '),
    resources,
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
