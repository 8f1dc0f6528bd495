// Slows password guessing: failed sign-ins are counted per client address and per email in a
// fixed window; past the limit, sign-in answers 429 with Retry-After until the window ends.
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';

const windowMs = 15 * 60_000;

export class LoginRateLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly maxAttempts: number,
    private readonly clock: Clock,
  ) {}

  /** Throws 429 when either the address or the email has used up its attempts. */
  check(ip: string, email: string): void {
    const now = this.clock.now().getTime();
    for (const key of [`ip:${ip}`, `email:${email}`]) {
      const entry = this.failures.get(key);
      if (entry && entry.resetAt <= now) this.failures.delete(key);
      else if (entry && entry.count >= this.maxAttempts) {
        const retryAfter = Math.ceil((entry.resetAt - now) / 1000);
        throw new AppError('rate_limited', 'Too many failed sign-ins: try again later', undefined, {
          'Retry-After': String(retryAfter),
        });
      }
    }
  }

  fail(ip: string, email: string): void {
    const now = this.clock.now().getTime();
    if (this.failures.size > 100_000) this.prune(now);
    for (const key of [`ip:${ip}`, `email:${email}`]) {
      const entry = this.failures.get(key);
      if (entry && entry.resetAt > now) entry.count++;
      else this.failures.set(key, { count: 1, resetAt: now + windowMs });
    }
  }

  succeed(email: string): void {
    this.failures.delete(`email:${email}`);
  }

  private prune(now: number): void {
    for (const [key, entry] of this.failures) if (entry.resetAt <= now) this.failures.delete(key);
  }
}
