/**
 * The per-resource context handed to providers. It is where the engine
 * enforces path confinement for files a spec refers to, and where it learns
 * what a resource's rendered state depends on (source files, secrets) so
 * that digests cover them.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Resource } from '../manifest/index.js';
import { ProviderError } from './errors.js';
import type { Ctx, EventType } from './types.js';
import type { RunScope } from './run.js';
import type { SecretRef, SecretResolver, Secrets } from '../secrets/index.js';
import { factSource, type Facts, type FactSource } from '../facts/index.js';

export interface EventSink {
  (resourceId: string, type: EventType, reason: string, message: string): void;
}

export interface ContextOptions {
  resource: Resource;
  sourceRoot: string;
  secrets: SecretResolver;
  revision?: string;
  onEvent: EventSink;
  signal?: AbortSignal;
  /** Root of the providers' working folders. Defaults to <tmpdir>/setpoint-work. */
  workRoot?: string;
  /** Host facts. Defaults to the built-in facts only. */
  facts?: FactSource;
  /** Shared by the resources of one run. Defaults to none. */
  run?: RunScope;
}

const builtinOnly = factSource();

/** A Ctx that also records the inputs the resource's rendered state depends on. */
export interface RecordingCtx extends Ctx {
  /** `path sha256` of each source file read. Part of the revision digest. */
  readonly sourceDigests: string[];
  /** Keyed digests of secrets resolved. Part of the resource's desired digest only. */
  readonly secretDigests: string[];
}

export function createContext(options: ContextOptions): RecordingCtx {
  return new ResourceContext(options);
}

/** A class, not a closure bag: one small object per resource on runs over 10,000 of them. */
class ResourceContext implements RecordingCtx {
  readonly id: string;
  readonly resource: Resource;
  readonly revision?: string;
  readonly baseDir: string;
  readonly sourceRoot: string;
  readonly workDir: string;
  readonly signal?: AbortSignal;
  readonly run?: RunScope;
  readonly sourceDigests: string[] = [];
  readonly secretDigests: string[] = [];
  private secretsView: Secrets | undefined;

  constructor(private readonly options: ContextOptions) {
    this.resource = options.resource;
    this.id = options.resource.id;
    this.revision = options.revision;
    this.baseDir = dirname(options.resource.origin.file);
    this.sourceRoot = options.sourceRoot;
    this.workDir = join(
      options.workRoot ?? join(tmpdir(), 'setpoint-work'),
      options.resource.key.kind.toLowerCase(),
    );
    this.signal = options.signal;
    this.run = options.run;
  }

  get secrets(): Secrets {
    return (this.secretsView ??= recordingSecrets(this.options.secrets, this.secretDigests));
  }

  readFile(path: string, field: string): Buffer {
    const data = readConfined(path, this.baseDir, this.sourceRoot, field);
    this.sourceDigests.push(`${path} ${createHash('sha256').update(data).digest('hex')}`);
    return data;
  }

  noteInput(label: string, data: string | Buffer): void {
    this.sourceDigests.push(`${label} ${createHash('sha256').update(data).digest('hex')}`);
  }

  facts(): Facts {
    return (this.options.facts ?? builtinOnly)();
  }

  event(type: EventType, reason: string, message: string): void {
    this.options.onEvent(this.id, type, reason, message);
  }
}

/** Resolves through the shared resolver and notes the keyed digest of every value. */
function recordingSecrets(inner: SecretResolver, digests: string[]): Secrets {
  return {
    async resolve(ref: SecretRef, baseDir: string) {
      const value = await inner.resolve(ref, baseDir);
      digests.push(inner.digest(value));
      return value;
    },
  };
}

/** Reads a file that must resolve (symlinks included) inside `root`: no path traversal. */
export function readConfined(path: string, baseDir: string, root: string, field: string): Buffer {
  const abs = resolve(baseDir, path);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ProviderError(
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`,
      {
        code: 'SETPOINT_SOURCE_UNREADABLE',
        field,
        hint: `relative paths start at the manifest's folder, ${baseDir}`,
      },
    );
  }
  const realRoot = realpathSync(root);
  const rel = relative(realRoot, real);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new ProviderError(`${path} is outside the project folder ${realRoot}`, {
      code: 'SETPOINT_PATH_TRAVERSAL',
      field,
      hint: 'files a manifest refers to must live inside the project; copy it in, or inline the content',
    });
  try {
    return readFileSync(real);
  } catch (err) {
    throw new ProviderError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        code: 'SETPOINT_SOURCE_UNREADABLE',
        field,
        hint: 'check that setpoint may read the file',
      },
    );
  }
}
