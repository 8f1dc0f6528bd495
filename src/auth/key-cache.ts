// SDK keys are looked up on every SDK request; keeping recent lookups in memory takes a database
// query off that path. Revoking a key on this replica drops it at once; other replicas (the
// PostgreSQL deployment) see a revocation within `ttlMs`.
//
// Anyone can present tokens, so what they cost is bounded: only key-shaped tokens reach this cache
// (authenticate.ts), entries are keyed by the token's SHA-256 (fixed size, and no secret sits in
// memory as a map key), and misses live apart from keys that exist, in a map of their own that
// drops its oldest entry when full. A flood of bad tokens therefore costs at most `maxMisses` small
// entries and never evicts a valid key.
import { hash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { ApiKey, ApiKeyStore } from './api-key-store.ts';

/** SHA-256 in hex, as stored (`api_keys.hash`); one call, no Hash object per request. */
const sha256 = (secret: string): string => hash('sha256', secret, 'hex');

export class KeyCache {
  /** Keys that exist, by hash: as many as the database holds at most (bounded anyway). */
  private readonly found = new Map<string, { key: ApiKey; until: number }>();
  /** Tokens that are no key (or a revoked one), by hash: expiry time. */
  private readonly misses = new Map<string, number>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly clock: Clock,
    private readonly ttlMs = 5_000,
    private readonly limits = { found: 10_000, misses: 10_000 },
  ) {}

  /** The active key with this secret (a key-shaped token: authenticate.ts refuses others first). */
  async activeBySecret(secret: string): Promise<ApiKey | undefined> {
    const now = this.clock.now().getTime();
    const digest = sha256(secret);
    const hit = this.found.get(digest);
    if (hit && hit.until > now) return hit.key;
    const missUntil = this.misses.get(digest);
    if (missUntil !== undefined && missUntil > now) return undefined;
    const key = await this.store.activeByHash(digest);
    if (key) {
      this.misses.delete(digest);
      remember(this.found, digest, { key, until: now + this.ttlMs }, this.limits.found);
    } else {
      // Remembered, so that a revoked key still deployed in many apps is not a query per request.
      this.found.delete(digest);
      remember(this.misses, digest, now + this.ttlMs, this.limits.misses);
    }
    return key;
  }

  /** The active key with this secret if a fresh lookup is remembered; never queries. */
  peek(secret: string, now: Date): ApiKey | undefined {
    const hit = this.found.get(sha256(secret));
    return hit && hit.until > now.getTime() ? hit.key : undefined;
  }

  /** How many keys and misses are remembered (for tests and metrics). */
  get size(): { found: number; misses: number } {
    return { found: this.found.size, misses: this.misses.size };
  }

  /** Forgets everything: called after a key is created or revoked. */
  clear(): void {
    this.found.clear();
    this.misses.clear();
  }
}

/** Sets an entry, first dropping the oldest one (a Map keeps insertion order) when full. */
function remember<V>(map: Map<string, V>, digest: string, value: V, limit: number): void {
  map.delete(digest); // re-inserted at the end: the newest
  if (map.size >= limit) map.delete(map.keys().next().value!);
  map.set(digest, value);
}
