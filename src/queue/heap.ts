/**
 * A binary min-heap whose entries remember their position, so an entry whose
 * rank improves (a queued key re-added with a better priority) can move up in
 * place instead of being pushed twice. Internal to the queue.
 */

export interface HeapEntry {
  /** Position in the heap; -1 once popped. Maintained by the heap. */
  heapIndex: number;
}

export class Heap<T extends HeapEntry> {
  private readonly items: T[] = [];
  private readonly before: (a: T, b: T) => boolean;

  /** `before(a, b)` is true when `a` must come out before `b`. */
  constructor(before: (a: T, b: T) => boolean) {
    this.before = before;
  }

  get size(): number {
    return this.items.length;
  }

  push(entry: T): void {
    entry.heapIndex = this.items.length;
    this.items.push(entry);
    this.up(entry.heapIndex);
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop() as T;
    if (items.length > 0) {
      items[0] = last;
      last.heapIndex = 0;
      this.down(0);
    }
    top.heapIndex = -1;
    return top;
  }

  /** Restores the order after `entry` changed so that it ranks earlier than before. */
  improved(entry: T): void {
    this.up(entry.heapIndex);
  }

  clear(): void {
    for (const entry of this.items) entry.heapIndex = -1;
    this.items.length = 0;
  }

  private up(index: number): void {
    const items = this.items;
    const entry = items[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex];
      if (!this.before(entry, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }

  private down(index: number): void {
    const items = this.items;
    const entry = items[index];
    const half = items.length >> 1;
    while (index < half) {
      let childIndex = 2 * index + 1;
      const right = childIndex + 1;
      if (right < items.length && this.before(items[right], items[childIndex])) childIndex = right;
      const child = items[childIndex];
      if (!this.before(child, entry)) break;
      items[index] = child;
      child.heapIndex = index;
      index = childIndex;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }
}
