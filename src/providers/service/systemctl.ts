/** systemctl as the Service kind uses it, online (systemd is PID 1) or offline (--root, or no systemd running). */
import { existsSync } from 'node:fs';
import { ProviderError } from '../../provider/errors.js';
import { runCommand } from '../../util/command.js';

/** Whether systemd runs this host (sd_booted(3): /run/systemd/system exists). */
export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

export interface UnitStatus {
  activeState: string;
  subState: string;
  restarts: number;
  loadState: string;
}

export async function systemctl(
  args: string[],
  root: string | undefined,
  signal?: AbortSignal,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = ['systemctl', ...(root ? [`--root=${root}`] : []), '--no-pager', ...args];
  try {
    const r = await runCommand(argv, {
      env: { ...process.env, LC_ALL: 'C', SYSTEMD_PAGER: '' },
      timeoutMs: 120_000,
      signal,
    });
    return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    throw new ProviderError(`cannot run systemctl: ${(err as Error).message}`, {
      code: 'SETPOINT_SYSTEMCTL_MISSING',
      hint: 'the Service kind needs systemctl (the systemd package)',
      cause: err,
    });
  }
}

/** Runs systemctl and throws a ProviderError naming `field` when it fails. */
export async function systemctlOrThrow(
  args: string[],
  root: string | undefined,
  field: string,
  signal?: AbortSignal,
): Promise<void> {
  const r = await systemctl(args, root, signal);
  if (r.code === 0) return;
  throw new ProviderError(
    `systemctl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop() ?? ''}`,
    {
      code: 'SETPOINT_APPLY_FAILED',
      field,
      hint: `see why with: systemctl status ${args[args.length - 1]}; journalctl -u ${args[args.length - 1]}`,
    },
  );
}

/** Whether the unit is enabled (is-enabled says enabled/enabled-runtime/alias/static...); undefined when unknown. */
export async function isEnabled(
  unit: string,
  root: string | undefined,
): Promise<{ known: boolean; enabled: boolean }> {
  const r = await systemctl(['is-enabled', unit], root);
  const word = r.stdout.trim().split('\n')[0] ?? '';
  if (!word || /No such file|not-found/.test(r.stderr + word)) return { known: false, enabled: false };
  return { known: true, enabled: word === 'enabled' || word === 'enabled-runtime' };
}

/** ActiveState, SubState, NRestarts and LoadState from `systemctl show` (systemd running only). */
export async function unitStatus(unit: string): Promise<UnitStatus> {
  const r = await systemctl(['show', unit, '--property=ActiveState,SubState,NRestarts,LoadState'], undefined);
  const props = Object.fromEntries(
    r.stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    activeState: props.ActiveState ?? 'unknown',
    subState: props.SubState ?? 'unknown',
    restarts: Number(props.NRestarts ?? 0) || 0,
    loadState: props.LoadState ?? 'not-found',
  };
}

/** The error a running-state action gets where systemd is not the init. */
export function notPid1(field: string, what: string): ProviderError {
  return new ProviderError(`cannot ${what}: systemd is not running as PID 1 on this host (a container?)`, {
    code: 'SETPOINT_SYSTEMD_NOT_RUNNING',
    field,
    hint: 'unit files and enablement work without it; remove spec.state (or run setpoint where systemd is the init, or manage the program as a Process)',
  });
}
