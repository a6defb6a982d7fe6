/** The part of a running `Serve` the HTTP server uses (its own file: the watch hub and the context both need it). */
import type { ServeStatus } from '../engine/controller/serve.js';
import type { DesiredState } from '../desired/desired.js';
import type { Flushed } from '../engine/recorder.js';
import type { NodeRollout } from '../rollout/index.js';

export interface ServeHandle {
  status(): ServeStatus;
  onFlushed(listener: (written: Flushed) => void): () => void;
  /** The API wrote commands (nudges) through the shared store connection: read them now. */
  commandsWritten(): void;
  /** The desired state in force (live describes use it instead of reading the manifests again). */
  readonly current?: { desired: DesiredState; revision?: { id: string } };
  /** Rollouts across nodes in progress: nodes not promoted yet keep the previous revision's set. */
  nodeRollouts?(): NodeRollout[];
  /** A node's report batch was stored: rollouts waiting on the node look again now. */
  nodeReported?(node: string): void;
}
