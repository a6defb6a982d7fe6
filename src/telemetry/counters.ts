/**
 * In-process counters of what a run did, keyed by a bounded set of labels
 * (kind, op, result: never the resource id). One-shot commands record them
 * in the run's summary and can write them in Prometheus text format for
 * node_exporter's textfile collector; `serve` exposes them at /metrics.
 */

export type Labels = Record<string, string>;

export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = JSON.stringify(labels);
    const hit = this.values.get(key);
    if (hit) hit.value += by;
    else this.values.set(key, { labels, value: by });
  }

  get(labels: Labels = {}): number {
    return this.values.get(JSON.stringify(labels))?.value ?? 0;
  }

  entries(): Array<{ labels: Labels; value: number }> {
    return [...this.values.values()];
  }
}

/** Prometheus text exposition of counters (and gauges given as plain values). */
export function toPrometheusText(
  counters: readonly Counter[],
  gauges: Record<string, { help: string; value: number }> = {},
): string {
  const lines: string[] = [];
  for (const c of counters) {
    lines.push(`# HELP ${c.name} ${c.help}`, `# TYPE ${c.name} counter`);
    for (const { labels, value } of c.entries()) lines.push(`${c.name}${formatLabels(labels)} ${value}`);
  }
  for (const [name, g] of Object.entries(gauges))
    lines.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.value}`);
  return lines.join('\n') + '\n';
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return parts.length ? `{${parts.join(',')}}` : '';
}
