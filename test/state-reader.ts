/**
 * Reads a project's state in the test process, through the API, as a
 * read-only CLI command (`status`, `events`, `history`...) reads it in its
 * own: for tests that check the state along the way, where a CLI start
 * (~1 s of CPU each) would cost more than the check. Tests about the CLI's
 * own output keep calling the CLI.
 */
import { Setpoint } from '../src/api/index.js';

export interface StateOptions {
  /** The project folder (setpoint.yaml is looked up from here). */
  cwd: string;
  /** `--state`: the state location when not the project's. */
  state?: string;
}

/**
 * Opens the project read-only (no log file; where no state exists it reads
 * as empty and nothing is created), runs `body`, closes it. Opened afresh
 * each time: a test may change setpoint.yaml between reads.
 */
export async function readState<T>(options: StateOptions, body: (api: Setpoint) => Promise<T>): Promise<T> {
  const api = await Setpoint.open({ cwd: options.cwd, state: options.state, readOnly: true, logFile: false });
  try {
    return await body(api);
  } finally {
    await api.close();
  }
}

/** As the CLI's JSON has it (dates as strings, no undefined fields). */
export function plain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
