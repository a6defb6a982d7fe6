/**
 * A list that renders only the rows in view (plus a margin), so 10,000
 * resources scroll as smoothly as 10. Rows have one fixed height.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

interface Props<T> {
  items: readonly T[];
  rowHeight: number;
  /** Visible height in px. Defaults to 480. */
  height?: number;
  label: string;
  header?: ComponentChildren;
  row: (item: T, index: number) => ComponentChildren;
  empty?: string;
}

const OVERSCAN = 8;

export function VirtualList<T>({ items, rowHeight, height = 480, label, header, row, empty }: Props<T>) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let frame = 0;
    const onScroll = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setTop(el.scrollTop);
      });
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, []);
  if (items.length === 0) return <p class="muted">{empty ?? 'Nothing here.'}</p>;
  const view = Math.min(height, items.length * rowHeight);
  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((top + view) / rowHeight) + OVERSCAN);
  const shown = [];
  for (let i = first; i < last; i++)
    shown.push(
      <div
        role="row"
        class="vrow"
        key={i}
        style={{ transform: `translateY(${i * rowHeight}px)`, height: `${rowHeight}px` }}
      >
        {row(items[i], i)}
      </div>,
    );
  return (
    <div class="vlist" role="table" aria-label={label} aria-rowcount={items.length}>
      {header && (
        <div role="rowgroup" class="vhead">
          <div role="row" class="vrow vrow-head">
            {header}
          </div>
        </div>
      )}
      <div ref={box} class="vbody" role="rowgroup" tabIndex={0} style={{ height: `${view}px` }}>
        <div class="vspace" style={{ height: `${items.length * rowHeight}px` }}>
          {shown}
        </div>
      </div>
    </div>
  );
}
