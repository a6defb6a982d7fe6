/**
 * A time-series line chart (uPlot, canvas) with vertical marks at given
 * times (revision annotations). Follows the container width; a table with
 * the same numbers sits beside it for screen readers.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

interface Props {
  label: string;
  /** Seconds since the epoch. */
  times: number[];
  values: number[];
  /** Seconds since the epoch, with a short label. */
  marks?: Array<{ time: number; label: string }>;
  format?: (v: number) => string;
  height?: number;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function Chart({ label, times, values, marks = [], format = String, height = 220 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const line = cssVar('--accent');
    const ink = cssVar('--muted');
    const markColor = cssVar('--warn');
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height,
        legend: { show: false },
        scales: { y: { range: (_u, min, max) => [0, Math.max(max, min + 0.01)] } },
        axes: [
          { stroke: ink, grid: { stroke: 'rgba(128,128,128,.15)' } },
          {
            stroke: ink,
            grid: { stroke: 'rgba(128,128,128,.15)' },
            values: (_u, ticks) => ticks.map(format),
            size: 60,
          },
        ],
        series: [{}, { label, stroke: line, width: 2, fill: 'rgba(43,125,233,.12)' }],
        hooks: {
          draw: [
            (u) => {
              const ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = markColor;
              ctx.fillStyle = markColor;
              ctx.lineWidth = 1.5;
              ctx.setLineDash([4, 4]);
              ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
              // Labels closer than this to the previous one are left out (the line still shows).
              const gap = 60 * devicePixelRatio;
              let labelledAt = -Infinity;
              for (const m of marks) {
                const x = Math.round(u.valToPos(m.time, 'x', true));
                if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
                if (x - labelledAt < gap) continue;
                labelledAt = x;
                // Near the right edge the label goes left of its line.
                const w = ctx.measureText(m.label).width;
                const lx = x + 4 + w > u.bbox.left + u.bbox.width ? x - 4 - w : x + 4;
                ctx.fillText(m.label, lx, u.bbox.top + 12 * devicePixelRatio);
              }
              ctx.restore();
            },
          ],
        },
      },
      [times, values],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, values, marks, label, height, format]);
  return <div ref={box} class="chart" role="img" aria-label={label} />;
}
