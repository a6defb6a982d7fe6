/**
 * Phase timings of one process, printed to stderr at exit when
 * SETPOINT_TIMING=1: where a run's wall time goes, for benchmark work.
 */
const enabled = process.env.SETPOINT_TIMING === '1';
const marks: Array<[string, number]> = [];
let last = performance.now();

export function mark(label: string): void {
  if (!enabled) return;
  const now = performance.now();
  marks.push([label, now - last]);
  last = now;
}

if (enabled)
  process.on('exit', () => {
    const lines = marks.map(([l, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${l}`);
    process.stderr.write(
      `timing (since process start ${performance.now().toFixed(0)} ms):\n${lines.join('\n')}\n`,
    );
  });
