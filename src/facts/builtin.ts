/**
 * The built-in host facts, read from the kernel and /etc without running any
 * command: os(7) calls, /etc/os-release, /etc/hosts, /etc/resolv.conf and
 * /proc/1/comm. About a millisecond; gathered once per process.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import type { Facts, InterfaceFacts, OsFacts } from './types.js';

/** Root of the files read, for tests. Defaults to /. */
export interface BuiltinOptions {
  root?: string;
}

export function builtinFacts(options: BuiltinOptions = {}): Facts {
  const root = options.root ?? '/';
  const read = (p: string) => readText(root + p.replace(/^\//, ''));
  const hostname = os.hostname();
  const domain = domainOf(hostname, read('/etc/hosts'), read('/etc/resolv.conf'));
  const interfaces = interfaceFacts();
  const ipv4 = Object.values(interfaces).flatMap((i) => i.ipv4);
  const ipv6 = Object.values(interfaces).flatMap((i) => i.ipv6);
  const totalBytes = os.totalmem();
  return {
    hostname: hostname.split('.')[0],
    fqdn: hostname.includes('.') ? hostname : domain ? `${hostname}.${domain}` : hostname,
    domain,
    os: parseOsRelease(read('/etc/os-release') || read('/usr/lib/os-release')),
    kernel: { name: os.type(), release: os.release(), version: os.version() },
    architecture: os.machine(),
    cpus: os.availableParallelism(),
    memory: { totalBytes, totalMiB: Math.round(totalBytes / 1024 / 1024) },
    ipv4,
    ipv6,
    ip: ipv4[0] ?? '',
    interfaces,
    init: initFacts(read('/proc/1/comm').trim(), existsSync(root + 'run/systemd/system')),
    packageManager: packageManager(root),
  };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): OsFacts {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    kv.set(m[1], v);
  }
  const id = kv.get('ID') ?? os.platform();
  const like = (kv.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean);
  return {
    family: osFamily(id, like),
    id,
    name: kv.get('NAME') ?? os.type(),
    version: kv.get('VERSION_ID') ?? '',
    codename: kv.get('VERSION_CODENAME') ?? '',
    prettyName: kv.get('PRETTY_NAME') ?? kv.get('NAME') ?? os.type(),
  };
}

const FAMILIES = ['debian', 'rhel', 'fedora', 'suse', 'arch', 'alpine'];

function osFamily(id: string, like: string[]): string {
  const found = [id, ...like].find((x) => FAMILIES.includes(x) || x === 'centos');
  if (!found) return id;
  if (found === 'rhel' || found === 'fedora' || found === 'centos') return 'redhat';
  return found;
}

/** The domain: from the hostname itself, the host's line in /etc/hosts, or resolv.conf's domain/search. */
export function domainOf(hostname: string, hosts: string, resolv: string): string {
  if (hostname.includes('.')) return hostname.slice(hostname.indexOf('.') + 1);
  for (const line of hosts.split('\n')) {
    const names = line.replace(/#.*/, '').trim().split(/\s+/).slice(1);
    if (!names.includes(hostname)) continue;
    const full = names.find((n) => n.startsWith(`${hostname}.`));
    if (full) return full.slice(hostname.length + 1);
  }
  for (const line of resolv.split('\n')) {
    const m = /^\s*(domain|search)\s+(\S+)/.exec(line);
    if (m) return m[2];
  }
  return '';
}

function interfaceFacts(): Record<string, InterfaceFacts> {
  const out: Record<string, InterfaceFacts> = {};
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (!addrs) continue;
    const ext = addrs.filter((a) => !a.internal);
    if (ext.length === 0) continue;
    out[name] = {
      mac: ext[0].mac,
      ipv4: ext.filter((a) => a.family === 'IPv4').map((a) => a.address),
      ipv6: ext.filter((a) => a.family === 'IPv6').map((a) => a.address),
    };
  }
  return out;
}

/** systemd is PID 1 when /run/systemd/system exists (sd_booted(3)); otherwise PID 1's name. */
function initFacts(comm: string, systemdBooted: boolean): Facts['init'] {
  if (systemdBooted) return { system: 'systemd', systemd: true };
  const known: Record<string, string> = { init: 'sysvinit', 'openrc-init': 'openrc', runit: 'runit' };
  return { system: known[comm] ?? (comm || 'unknown'), systemd: false };
}

const MANAGERS: Array<[string, string]> = [
  ['apt', 'usr/bin/apt-get'],
  ['dnf', 'usr/bin/dnf'],
  ['yum', 'usr/bin/yum'],
  ['zypper', 'usr/bin/zypper'],
  ['pacman', 'usr/bin/pacman'],
  ['apk', 'sbin/apk'],
];

function packageManager(root: string): string {
  return MANAGERS.find(([, bin]) => existsSync(root + bin))?.[0] ?? 'none';
}
