/**
 * Webhook deliveries seen recently, to refuse replays. A delivery is known by
 * every key it has: the provider's delivery id (GitHub X-GitHub-Delivery,
 * GitLab X-Gitlab-Event-UUID, generic X-Setpoint-Delivery) and the digest of
 * its body. The id alone is not enough: it is not covered by the signature,
 * so a replayed request can carry a new one, but not a new body. Keys are
 * kept for a window and at most `maxEntries` (oldest forgotten first); the
 * log lives in memory, so a restart forgets it.
 */
export interface DeliveryLogOptions {
  windowMs: number;
  maxEntries: number;
  now?: () => number;
}

export class DeliveryLog {
  /** key -> when it was seen; insertion order is age order. */
  private readonly seenAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: DeliveryLogOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.seenAt.size;
  }

  /** The first of `keys` seen within the window, or undefined after recording them all as seen now. */
  admit(keys: readonly string[]): string | undefined {
    const now = this.now();
    this.expire(now);
    const known = keys.find((k) => this.seenAt.has(k));
    if (known !== undefined) return known;
    for (const k of keys) this.seenAt.set(k, now);
    while (this.seenAt.size > this.options.maxEntries) this.seenAt.delete(this.seenAt.keys().next().value!);
    return undefined;
  }

  private expire(now: number): void {
    for (const [k, at] of this.seenAt) {
      if (now - at < this.options.windowMs) return;
      this.seenAt.delete(k);
    }
  }
}
