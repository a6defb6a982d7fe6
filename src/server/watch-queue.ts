/**
 * The messages waiting for one watch stream while its client reads: held
 * serialised and bounded by count and by bytes. Past either bound the queue
 * overflows: what it held is dropped at once and the stream ends with an
 * `overflow` message (the client reconnects with Last-Event-ID).
 */
import type { WatchMessage } from './watch-hub.js';

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

export function serialise(m: WatchMessage): SseMessage {
  return {
    event: m.type,
    data: JSON.stringify(m.data),
    id: m.type === 'event' && m.data.seq !== undefined ? String(m.data.seq) : undefined,
  };
}

export class WatchQueue {
  private items: SseMessage[] = [];
  private heldBytes = 0;
  private overflown = false;

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Bytes of the messages waiting (their data, as sent). */
  get bytes(): number {
    return this.heldBytes;
  }

  get overflowed(): boolean {
    return this.overflown;
  }

  push(m: WatchMessage): void {
    if (this.overflown) return;
    const s = serialise(m);
    if (this.items.length >= this.maxMessages || this.heldBytes + s.data.length > this.maxBytes) {
      this.overflown = true;
      this.items = [];
      this.heldBytes = 0;
      return;
    }
    this.items.push(s);
    this.heldBytes += s.data.length;
  }

  shift(): SseMessage | undefined {
    const s = this.items.shift();
    if (s) this.heldBytes -= s.data.length;
    return s;
  }
}
