/**
 * User and group names <-> ids, read from /etc/passwd and /etc/group (Node has
 * no getpwnam). Cached per process; numeric ids pass through.
 */
import { readFileSync } from 'node:fs';
import { ProviderError } from '../../provider/errors.js';

interface Table {
  byName: Map<string, number>;
  byId: Map<number, string>;
}

const tables: Partial<Record<'passwd' | 'group', Table>> = {};

function table(which: 'passwd' | 'group'): Table {
  let t = tables[which];
  if (!t) {
    t = { byName: new Map(), byId: new Map() };
    try {
      for (const line of readFileSync(`/etc/${which}`, 'utf8').split('\n')) {
        const [name, , id] = line.split(':');
        if (!name || id === undefined || name.startsWith('#')) continue;
        const n = Number(id);
        t.byName.set(name, n);
        if (!t.byId.has(n)) t.byId.set(n, name);
      }
    } catch {
      // No database: only numeric ids work, names are reported as unknown.
    }
    tables[which] = t;
  }
  return t;
}

export function resolveUid(owner: string | number | undefined, field = 'spec.owner'): number | undefined {
  return resolveId('passwd', owner, field);
}

export function resolveGid(group: string | number | undefined, field = 'spec.group'): number | undefined {
  return resolveId('group', group, field);
}

function resolveId(
  which: 'passwd' | 'group',
  value: string | number | undefined,
  field: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  const id = table(which).byName.get(value);
  if (id === undefined)
    throw new ProviderError(`unknown ${which === 'passwd' ? 'user' : 'group'} "${value}"`, {
      code: 'SETPOINT_SPEC_INVALID',
      field,
      hint: `create it first, or use a numeric ${which === 'passwd' ? 'uid' : 'gid'}`,
    });
  return id;
}

export function userName(uid: number): string {
  return table('passwd').byId.get(uid) ?? String(uid);
}

export function groupName(gid: number): string {
  return table('group').byId.get(gid) ?? String(gid);
}
