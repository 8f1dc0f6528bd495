// Per-key event rate limit: a token bucket per API key that refills at `eventsPerSecond` and holds
// one second's worth. A request is let in while the bucket is not empty and then pays for all of
// its events (the bucket may go into debt), so a batch larger than the rate still gets through and
// the debt delays the next ones. Refused requests get 429 with Retry-After.
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';

interface Bucket {
  tokens: number;
  at: number;
}

export class KeyRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** `eventsPerSecond` 0 turns the limit off. */
  constructor(
    private readonly eventsPerSecond: number,
    private readonly clock: Clock,
  ) {}

  private bucket(keyId: string, now: number): Bucket {
    let bucket = this.buckets.get(keyId);
    if (!bucket) {
      bucket = { tokens: this.eventsPerSecond, at: now };
      this.buckets.set(keyId, bucket);
    } else {
      const refill = ((now - bucket.at) / 1000) * this.eventsPerSecond;
      bucket.tokens = Math.min(this.eventsPerSecond, bucket.tokens + refill);
      bucket.at = now;
    }
    return bucket;
  }

  /** Throws 429 (with Retry-After) while the key's bucket is empty. */
  admit(keyId: string): void {
    if (this.eventsPerSecond <= 0) return;
    const bucket = this.bucket(keyId, this.clock.now().getTime());
    if (bucket.tokens > 0) return;
    const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.eventsPerSecond));
    throw new AppError(
      'rate_limited',
      `Too many events for this key (limit ${this.eventsPerSecond} per second): retry after ${seconds} s`,
      undefined,
      { 'Retry-After': String(seconds) },
    );
  }

  /** Charges `events` to the key. */
  spend(keyId: string, events: number): void {
    if (this.eventsPerSecond <= 0) return;
    this.bucket(keyId, this.clock.now().getTime()).tokens -= events;
  }
}
