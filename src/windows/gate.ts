/** The engine's view of change windows: whether a resource may act now. */
import type { Resource } from '../manifest/index.js';

/** Whether a resource may act now; change windows plug in here (one-shot apply and serve alike). */
export interface WindowGate {
  check(
    resource: Resource,
    now: Date,
  ): { blocked: false } | { blocked: true; window: string; reason: string; until: Date };
}
