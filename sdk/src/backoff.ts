import type { ClientOptions } from './client-types.js';

/**
 * Delay before retry number `attempt` (0-based) of the event queue or the stream: exponential
 * backoff from `base` (default `retryBaseMs`) capped at `retryMaxMs`, with full jitter, so that
 * thousands of clients reconnecting after a server restart spread out instead of stampeding.
 *
 * @example
 * const ms = backoffDelay(3, { retryBaseMs: 500, retryMaxMs: 30_000 }); // uniform in [0, 4000)
 */
export const backoffDelay = (
  attempt: number,
  { retryBaseMs = 1000, retryMaxMs = 60_000 }: Pick<ClientOptions, 'retryBaseMs' | 'retryMaxMs'>,
  base = retryBaseMs,
) => Math.floor(Math.random() * Math.min(retryMaxMs, base * 2 ** Math.min(attempt, 30)));

/**
 * Parses a `Retry-After` header (delta-seconds or an HTTP-date) into milliseconds from `now`;
 * `undefined` when absent or unreadable, leaving the caller to its backoff.
 *
 * @example
 * parseRetryAfter('2'); // 2000
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return;
  const ms = /^\d+$/.test(header) ? Number(header) * 1000 : Date.parse(header) - now;
  // Beyond 2^31-1 ms (~24.8 days) timers fire at once: a retry loop, not a long wait.
  return Number.isNaN(ms) ? undefined : Math.min(Math.max(0, ms), 2 ** 31 - 1);
}

/**
 * `setTimeout` that never keeps a Node process alive: the host app decides when to exit. Delays
 * are capped at 2e9 ms (~23 days, under the 2^31-1 ms timer limit): longer ones, `Infinity`
 * included, would fire at once.
 *
 * @example
 * const t = unrefTimeout(() => flush(), 1000);
 */
export function unrefTimeout(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(fn, Math.min(ms, 2e9));
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/**
 * Resolves after `ms` (without keeping a Node process alive).
 *
 * @example
 * await sleep(retryAt - Date.now());
 */
export const sleep = (ms: number) => new Promise<void>((resolve) => unrefTimeout(resolve, ms));
