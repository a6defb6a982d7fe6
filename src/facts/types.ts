/** The shape of host facts: what `setpoint facts` prints and `${facts.*}` reads. */

export interface OsFacts {
  /** The distribution family: debian, redhat, suse, arch, alpine, or the id itself. */
  family: string;
  /** `ID` of /etc/os-release, e.g. debian, ubuntu, rocky. */
  id: string;
  /** `NAME`, e.g. "Debian GNU/Linux". */
  name: string;
  /** `VERSION_ID`, e.g. "12". */
  version: string;
  /** `VERSION_CODENAME`, e.g. bookworm; empty when the release has none. */
  codename: string;
  /** `PRETTY_NAME`. */
  prettyName: string;
}

export interface InterfaceFacts {
  mac: string;
  ipv4: string[];
  ipv6: string[];
}

export interface Facts {
  hostname: string;
  /** The fully qualified name: the hostname with its domain, when one is known. */
  fqdn: string;
  /** The DNS domain; empty when none is known. */
  domain: string;
  os: OsFacts;
  kernel: { name: string; release: string; version: string };
  /** As `uname -m` says: x86_64, aarch64. */
  architecture: string;
  cpus: number;
  memory: { totalBytes: number; totalMiB: number };
  /** Non-loopback addresses. */
  ipv4: string[];
  ipv6: string[];
  /** The first non-loopback IPv4 address; empty when there is none. */
  ip: string;
  interfaces: Record<string, InterfaceFacts>;
  /** What runs as PID 1, and whether it is systemd (Service needs it). */
  init: { system: string; systemd: boolean };
  /** apt, dnf, yum, zypper, pacman, apk, or none. */
  packageManager: string;
  /** Custom facts (from the facts folder's executables) are merged in at the top level. */
  [custom: string]: unknown;
}

/** Gives the facts of this host; gathered on first call, then cached. Throws a SetpointError when a custom fact fails. */
export type FactSource = () => Facts;
