/**
 * Cron: one job as one file in /etc/cron.d (mode 0644, owned by root when
 * setpoint runs as root, as cron requires), holding its environment lines
 * and one entry line. Written atomically; the diff names the fields of the
 * entry that differ (schedule, user, command, environment) when the file
 * still reads as an entry, the whole text otherwise.
 */
import { chmodSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { contentChange, type Change } from '../../diff/index.js';
import { fsError, ProviderError } from '../../provider/errors.js';
import type { Provider } from '../../provider/types.js';
import {
  atomicWriteFile,
  formatMode,
  lstatOrUndefined,
  PathWatcher,
  resolveUid,
  sweepOnce,
} from '../fs/index.js';
import { cronFileName, CronSpecSchema, type CronSpec } from './spec.js';

export { CronSpecSchema, type CronSpec, scheduleProblem, cronFileName } from './spec.js';

const MODE = 0o644;
const AS_ROOT = process.getuid?.() === 0;

export interface CronDesired {
  spec: CronSpec;
  path: string;
  /** The whole file as it must read. */
  content: string;
}

export interface CronActual {
  content: string;
  mode: number;
}

interface Entry {
  schedule: string;
  user: string;
  command: string;
  environment: Record<string, string>;
}

function render(spec: CronSpec, id: string): string {
  const env = Object.entries(spec.environment ?? {}).map(([k, v]) => `${k}=${v}\n`);
  return (
    `# Managed by setpoint (${id}): changes made here are undone.\n` +
    env.join('') +
    `${spec.schedule.trim()} ${spec.user} ${spec.command}\n`
  );
}

/** The entry a cron.d file holds, when it holds exactly one (comments and blank lines aside). */
function parse(content: string): Entry | undefined {
  const environment: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const line of content.split('\n')) {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) continue;
    const env = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(l);
    if (env) {
      environment[env[1]] = env[2];
      continue;
    }
    const m = l.startsWith('@')
      ? /^(@\S+)\s+(\S+)\s+(.+)$/.exec(l)
      : /^((?:\S+\s+){4}\S+)\s+(\S+)\s+(.+)$/.exec(l);
    if (!m) return undefined;
    entries.push({ schedule: m[1].replace(/\s+/g, ' '), user: m[2], command: m[3], environment });
  }
  return entries.length === 1 ? entries[0] : undefined;
}

export const cronProvider: Provider<CronSpec, CronActual, CronDesired> = {
  kind: 'Cron',
  description: 'A cron job: one file in /etc/cron.d with its schedule, user, command and environment.',
  schema: CronSpecSchema,
  claims: (spec, key) =>
    key
      ? [{ field: spec.file ? 'file' : 'dir', path: join(spec.dir, cronFileName(spec, key)), leaf: true }]
      : [],

  async resolve(spec, ctx) {
    resolveUid(spec.user, 'spec.user');
    return {
      spec,
      path: join(spec.dir, cronFileName(spec, ctx.resource.key)),
      content: render(spec, ctx.id),
    };
  },

  sweep: (desired) => sweepOnce(desired.spec.dir),

  async observe(desired) {
    const st = lstatOrUndefined(desired.path);
    if (!st) return undefined;
    if (!st.isFile())
      throw new ProviderError(`${desired.path} is not a regular file`, {
        code: 'SETPOINT_APPLY_REFUSED',
        field: 'spec.file',
        hint: 'remove it, or choose another spec.file',
      });
    try {
      return { content: readFileSync(desired.path, 'utf8'), mode: st.mode & 0o7777 };
    } catch (err) {
      throw fsError('reading', desired.path, err, 'spec.file');
    }
  },

  diff(desired, actual) {
    const { spec } = desired;
    const changes: Change[] = [];
    if (!actual) {
      changes.push(
        { path: 'spec.file', new: desired.path },
        { path: 'spec.schedule', new: spec.schedule.trim() },
        { path: 'spec.user', new: spec.user },
        { path: 'spec.command', new: spec.command },
      );
      if (spec.environment) changes.push({ path: 'spec.environment', new: spec.environment });
      return changes;
    }
    if (actual.content !== desired.content) {
      const have = parse(actual.content);
      const want = parse(desired.content)!;
      if (!have)
        changes.push(contentChange('file', Buffer.from(actual.content), Buffer.from(desired.content)));
      else {
        for (const f of ['schedule', 'user', 'command'] as const)
          if (have[f] !== want[f]) changes.push({ path: `spec.${f}`, old: have[f], new: want[f] });
        if (JSON.stringify(have.environment) !== JSON.stringify(want.environment))
          changes.push({ path: 'spec.environment', old: have.environment, new: want.environment });
        // Same entry, other text (a comment edited by hand): still rewritten.
        if (changes.length === 0)
          changes.push(contentChange('file', Buffer.from(actual.content), Buffer.from(desired.content)));
      }
    }
    if (actual.mode !== MODE)
      changes.push({ path: 'mode', old: formatMode(actual.mode), new: formatMode(MODE) });
    return changes;
  },

  async apply(desired, actual) {
    if (actual?.content === desired.content) {
      if (actual.mode === MODE) return actual;
      try {
        chmodSync(desired.path, MODE);
      } catch (err) {
        throw fsError('changing', desired.path, err, 'spec.file');
      }
      return { ...actual, mode: MODE };
    }
    try {
      await atomicWriteFile(desired.path, Buffer.from(desired.content), {
        mode: MODE,
        ...(AS_ROOT ? { uid: 0, gid: 0 } : {}),
      });
    } catch (err) {
      if (err instanceof ProviderError)
        throw new ProviderError(err.message, {
          code: err.code,
          field: 'spec.dir',
          hint: err.hint,
          cause: err,
        });
      throw err;
    }
    return { content: desired.content, mode: MODE };
  },

  async destroy(desired) {
    try {
      unlinkSync(desired.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw fsError('removing', desired.path, err, 'spec.dir');
    }
  },

  isDestructive: () => false,

  health(desired, actual) {
    if (!actual) return { status: 'Missing', message: `${desired.path} does not exist` };
    return { status: 'Healthy' };
  },

  display(desired, actual) {
    return {
      path: desired.path,
      mode: formatMode(actual.mode),
      entry: parse(actual.content) ?? actual.content,
    };
  },

  watch(targets, onChange, onError) {
    return new PathWatcher(
      targets.map((t) => ({
        id: t.id,
        path: join(t.spec.dir, t.spec.file ?? cronFileName(t.spec, keyOf(t.id))),
      })),
      onChange,
      onError,
    );
  },
};

/** The namespace and name of an id `Kind/namespace/name`. */
function keyOf(id: string): { namespace: string; name: string } {
  const [, namespace = 'default', name = ''] = id.split('/');
  return { namespace, name };
}
