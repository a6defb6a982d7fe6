/**
 * A package manager as the Package kind needs it: observe many packages in
 * one query, install or remove many in one transaction, hold or release.
 * apt/dpkg is the first backend (./apt.ts); dnf or apk fit the same shape.
 */

/** What is installed of one package. */
export interface InstalledPackage {
  name: string;
  version: string;
  /** Held back from upgrades (apt-mark hold). */
  held: boolean;
}

/** One package to install: any version (undefined), the newest (`latest`) or an exact one. */
export interface PackageRequest {
  name: string;
  version?: string;
}

export interface BackendOptions {
  /** How long to wait for another package manager to finish, in ms. */
  lockTimeoutMs: number;
  /** Refresh the package lists before installing. */
  updateCache: boolean;
  signal?: AbortSignal;
}

export interface PackageBackend {
  /** The manager's name, for messages ("apt"). */
  readonly name: string;
  /** Installed packages among `names`, or of the whole host when `names` is undefined: one query. */
  observe(names?: readonly string[]): Promise<Map<string, InstalledPackage>>;
  /** The version an install of the newest would give, per name (one query); absent when unknown. */
  candidates(names: readonly string[]): Promise<Map<string, string>>;
  /** Installs all in one transaction; refreshes the package lists once when one is not found. */
  install(requests: readonly PackageRequest[], options: BackendOptions): Promise<void>;
  /** Removes all in one transaction (purge: configuration files too). */
  remove(names: readonly string[], purge: boolean, options: BackendOptions): Promise<void>;
  /** Holds (true) or releases (false) the packages. */
  hold(names: readonly string[], held: boolean, options: BackendOptions): Promise<void>;
}
