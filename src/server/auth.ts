/**
 * Bearer-token authentication. Active tokens are kept in memory (reloaded
 * when another process committed to the store, or after a few seconds); a
 * presented token is hashed and compared with every stored hash in constant
 * time. Failures are rate limited per client address (rate-limit.ts).
 */
import { hashToken, matchToken, NODE_TOKEN_PREFIX, type Principal } from '../auth/index.js';
import type { TokenRecord } from '../store/index.js';
import { HttpError, unauthorized } from './errors.js';
import type { FailureLimiter } from './rate-limit.js';

export interface TokenSource {
  activeTokens(): Promise<TokenRecord[]>;
  /** The enrolled node whose token hashes to `hash`, unless revoked. */
  nodeByTokenHash?(hash: string): Promise<{ name: string } | undefined>;
  /** Changes when another process commits (e.g. `setpoint token create`). */
  changeCounter(): Promise<number>;
}

export class Authenticator {
  private tokens: TokenRecord[] = [];
  private loadedAt = -Infinity;
  private counter: number | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly source: TokenSource,
    readonly limiter: FailureLimiter,
    /** Reload at least this often. Defaults to 5 s. */
    private readonly maxAgeMs = 5_000,
  ) {}

  /** Forget the cached tokens (after a token was created or revoked in this process). */
  invalidate(): void {
    this.loadedAt = -Infinity;
  }

  /** The caller behind an `Authorization` header; throws 429 while the address is limited, 401 otherwise. */
  async authenticate(header: string | undefined, address: string): Promise<Principal> {
    const wait = this.limiter.retryAfter(address);
    if (wait > 0)
      throw new HttpError(
        429,
        'SETPOINT_RATE_LIMITED',
        'too many failed authentication attempts from this address',
        `retry after ${wait}s with a valid token`,
        {
          'Retry-After': String(wait),
        },
      );
    const token = bearer(header);
    if (!token) {
      this.limiter.fail(address);
      throw unauthorized('authentication required: no bearer token');
    }
    if (token.startsWith(NODE_TOKEN_PREFIX)) {
      // A node's credential: looked up by its hash (256 random bits: the hash names one node or none).
      const node = await this.source.nodeByTokenHash?.(hashToken(token));
      if (!node) {
        this.limiter.fail(address);
        throw unauthorized(
          'unknown or revoked node token',
          'enrol the node again (`setpoint nodes enroll-token`, then `setpoint agent --enroll-token`)',
        );
      }
      return { name: `node:${node.name}`, role: 'viewer', namespaces: [], node: node.name };
    }
    await this.refresh();
    const found = matchToken(token, this.tokens);
    if (!found) {
      this.limiter.fail(address);
      throw unauthorized(
        'invalid or revoked token',
        'check the token (`setpoint token list` shows the active ones), or create one',
      );
    }
    return { name: found.name, role: found.role, namespaces: found.namespaces };
  }

  private async refresh(): Promise<void> {
    const now = Date.now();
    const counter = await this.source.changeCounter();
    if (counter === this.counter && now - this.loadedAt < this.maxAgeMs) return;
    this.loading ??= this.source
      .activeTokens()
      .then((tokens) => {
        this.tokens = tokens;
        this.loadedAt = now;
        this.counter = counter;
      })
      .finally(() => (this.loading = undefined));
    await this.loading;
  }
}

function bearer(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}
