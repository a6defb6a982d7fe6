/**
 * Phase timings of one process, printed to stderr at exit when
 * SETPOINT_TIMING=1: where a run's wall time goes, for benchmark work.
 */
const enabled = process.env.SETPOINT_TIMING === '1';
// Each mark: its label, the time since the previous mark and since process start.
const marks: Array<[string, number, number]> = [];
let last = performance.now();
marks.push(['timing module evaluated (node start-up, first imports)', last, last]);

export function mark(label: string): void {
  if (!enabled) return;
  const now = performance.now();
  marks.push([label, now - last, now]);
  last = now;
}

if (enabled)
  process.on('exit', () => {
    mark('exit');
    const lines = marks.map(
      ([l, ms, at]) => `${ms.toFixed(1).padStart(8)} ms  (at ${at.toFixed(0).padStart(5)})  ${l}`,
    );
    process.stderr.write(
      `timing (since process start ${performance.now().toFixed(0)} ms):\n${lines.join('\n')}\n`,
    );
  });
