/**
 * What one client may cost the server: body sizes, the memory all bodies
 * being read may hold together, how long a request may take to arrive, and
 * how many watch streams stay open. Each limit answers a distinct status
 * (413, 503, 408, 429) with a message naming it.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Largest JSON request body (plans, approvals, tokens, silences: small objects). */
export const JSON_BODY_MAX_BYTES = 1 * MiB;

/**
 * Largest Git push webhook body. Push payloads are a few KiB (GitHub and
 * GitLab list at most 20 commits); a larger one is refused (413) and the
 * source's regular poll picks the push up.
 */
export const WEBHOOK_BODY_MAX_BYTES = 1 * MiB;

/** Bytes all request bodies being read may hold at once; beyond, requests are answered 503 with Retry-After. */
export const IN_FLIGHT_BODY_BUDGET_BYTES = 32 * MiB;

/** Retry-After (seconds) of a 503 for the in-flight body budget. */
export const BUSY_RETRY_AFTER_S = 2;

/** JSON bodies nested deeper than this are refused (400) before they reach a handler. */
export const JSON_MAX_DEPTH = 64;

/**
 * After refusing a body it did not read, the server answers, half-closes and
 * discards what still arrives for at most this long or this many bytes
 * before it closes the connection (so the client reads the answer instead
 * of a reset).
 */
export const LINGER_MS = 2_000;
export const LINGER_BYTES = 8 * MiB;

/** The request line and headers must arrive within this time (slow-header attacks), else 408. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** The whole request (headers and body) must arrive within this time, else 408. */
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * How long an idle keep-alive connection stays open. Node's 5 s default is
 * shorter than a busy client's gap between two requests: a client that
 * reuses the connection just as the server closes it gets "other side
 * closed" on a POST it cannot safely retry (seen with a CLI or a test whose
 * event loop was busy for seconds; load balancers hit the same race). 30 s
 * also covers an agent's long poll (30 s) on one connection.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 30_000;
/** How often the timeouts above are checked. */
export const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/**
 * Open connections at most (watch streams and fleet agents' long polls
 * included); Node closes the ones beyond at once. An agent holds one long
 * poll and, for up to KEEP_ALIVE_TIMEOUT_MS after a report, one idle
 * keep-alive connection: 4,096 leaves room for 2,000 nodes. `server.maxConnections`
 * overrides it.
 */
export const MAX_CONNECTIONS = 4_096;

/** Open watch streams (GET /api/v1/watch) per token, and in all. */
export const WATCH_STREAMS_PER_TOKEN = 16;
export const WATCH_STREAMS_TOTAL = 256;
/** Messages waiting for one slow watch client, by count and bytes; beyond, its stream ends with `overflow`. */
export const WATCH_QUEUE_MAX_MESSAGES = 10_000;
export const WATCH_QUEUE_MAX_BYTES = 512 * KiB;

/** Webhook deliveries remembered to refuse replays: how long, and how many at most (oldest forgotten first). */
export const WEBHOOK_REPLAY_WINDOW_MS = 60 * 60 * 1000;
export const WEBHOOK_REPLAY_MAX_ENTRIES = 10_000;
