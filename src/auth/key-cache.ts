// SDK keys are looked up on every SDK request; keeping recent lookups in memory takes a database
// query off that path. Revoking a key on this replica drops it at once; other replicas (the
// PostgreSQL deployment) see a revocation within `ttlMs`.
import type { Clock } from '../clock.ts';
import type { ApiKey, ApiKeyStore } from './api-key-store.ts';
import { sha256 } from './secrets.ts';

const maxEntries = 10_000;

export class KeyCache {
  private readonly entries = new Map<string, { key: ApiKey | undefined; until: number }>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly clock: Clock,
    private readonly ttlMs = 5_000,
  ) {}

  /**
   * The active key with this secret. Entries are keyed by the secret itself (it lives in this
   * process's memory either way), so a hit costs no hashing.
   */
  async activeBySecret(secret: string): Promise<ApiKey | undefined> {
    const now = this.clock.now().getTime();
    const hit = this.entries.get(secret);
    if (hit && hit.until > now) return hit.key;
    const key = await this.store.activeByHash(sha256(secret));
    // Misses are remembered too, so a flood of bad keys does not turn into a flood of queries.
    if (this.entries.size >= maxEntries) this.entries.clear();
    this.entries.set(secret, { key, until: now + this.ttlMs });
    return key;
  }

  /** The active key with this secret if a fresh lookup is remembered; never queries. */
  peek(secret: string, now: Date): ApiKey | undefined {
    const hit = this.entries.get(secret);
    return hit && hit.until > now.getTime() ? hit.key : undefined;
  }

  /** Forgets everything: called after a key is created or revoked. */
  clear(): void {
    this.entries.clear();
  }
}
