/**
 * Delay before retry number `attempt` (0-based): exponential backoff with full jitter, so that
 * thousands of clients reconnecting after a server restart spread out instead of stampeding.
 *
 * @example
 * const ms = backoffDelay(3, 500, 30_000); // uniform in [0, 4000)
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));
}

/**
 * Parses a `Retry-After` header (delta-seconds or an HTTP-date) into milliseconds from `now`.
 * Returns `undefined` when the header is absent or unreadable, letting the caller use its backoff.
 *
 * @example
 * parseRetryAfter('2'); // 2000
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', Date.now());
 */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * `setTimeout` that never keeps a Node process alive: the host app decides when to exit.
 *
 * @example
 * const t = unrefTimeout(() => flush(), 1000);
 * clearTimeout(t);
 */
export function unrefTimeout(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(fn, ms);
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
