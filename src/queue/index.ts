/** The controller's work queue, its backoff formula and the global token bucket. See README.md. */
export { backoffDelay, backoffWithDefaults, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { QueueError, type QueueErrorCode } from './errors.js';
export {
  withDefaults,
  type AddOptions,
  type AddOutcome,
  type ResolvedWorkQueueOptions,
  type WorkQueueHooks,
  type WorkQueueOptions,
} from './options.js';
export { TokenBucket, tokenBucketWithDefaults, type TokenBucketOptions } from './token-bucket.js';
export { WorkQueue, type QueueItem } from './work-queue.js';
