import { backoffDelay, parseRetryAfter, unrefTimeout } from './backoff.js';
import type { DeliveryStats, Logger, SdkEvent } from './client-types.js';

/** Options of {@link createEventQueue}. */
export interface EventQueueOptions {
  apiHost: string;
  sdkKey: string;
  fetch: typeof fetch;
  flushIntervalMs: number;
  maxBatchSize: number;
  maxQueueSize: number;
  retryBaseMs: number;
  retryMaxMs: number;
  logger: Logger;
}

/** Batches events to `POST /sdk/v1/events`. */
export interface EventQueue {
  push(event: SdkEvent): void;
  /** Sends everything queued now; resolves once the queue is empty or a send must wait for a retry. */
  flush(): Promise<void>;
  /** Hands what is queued to `navigator.sendBeacon` (page going away). */
  beacon(): void;
  /** Final flush (bounded by `timeoutMs`), then stops; what is left is counted as dropped. */
  close(timeoutMs: number): Promise<void>;
  stats(): DeliveryStats;
}

interface EventsResponse {
  accepted?: number;
  duplicates?: number;
  rejected?: { index: number; code: string; message: string }[];
}

/**
 * A bounded, batching event queue. Batches leave when `maxBatchSize` events wait or every
 * `flushIntervalMs`; one request is in flight at a time. Network errors, 5xx and 429 are retried
 * with backoff (honouring `Retry-After`); other 4xx are dropped and logged, since resending the
 * same bytes cannot succeed. When full, the oldest events are dropped: recent data is worth more.
 *
 * @example
 * const queue = createEventQueue({ apiHost, sdkKey, fetch, flushIntervalMs: 5000, maxBatchSize: 100,
 *   maxQueueSize: 10_000, retryBaseMs: 1000, retryMaxMs: 60_000, logger: console });
 * queue.push({ type: 'track', id: crypto.randomUUID(), ts: Date.now(), unit: 'u1', event: 'buy' });
 * await queue.close(2000);
 */
export function createEventQueue(options: EventQueueOptions): EventQueue {
  const url = `${options.apiHost.replace(/\/+$/, '')}/sdk/v1/events`;
  const { logger, maxBatchSize, maxQueueSize } = options;
  let queue: SdkEvent[] = [];
  let sending: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retryAt = 0;
  let attempt = 0;
  let closed = false;
  const counts = { sent: 0, dropped: 0, rejected: 0, retries: 0 };

  const trim = () => {
    const excess = queue.length - maxQueueSize;
    if (excess > 0) {
      queue.splice(0, excess);
      counts.dropped += excess;
    }
  };

  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (!closed) timer = unrefTimeout(() => void flush(), ms);
  };

  // Sends one batch; returns false when delivery must wait for a retry.
  const sendBatch = async (): Promise<boolean> => {
    const batch = queue.splice(0, maxBatchSize);
    let retryAfter: number | undefined;
    try {
      const res = await options.fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${options.sdkKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ events: batch }),
      });
      if (res.ok) {
        const body = (await res.json().catch(() => ({}))) as EventsResponse;
        const rejected = body.rejected ?? [];
        counts.sent += batch.length - rejected.length;
        counts.rejected += rejected.length;
        if (rejected.length) logger.warn('flagstaff: events rejected', rejected.slice(0, 5));
        attempt = 0;
        return true;
      }
      void res.body?.cancel().catch(() => {});
      if (res.status !== 429 && res.status < 500) {
        counts.rejected += batch.length;
        logger.error(`flagstaff: events refused with HTTP ${res.status}; dropping ${batch.length}`);
        return true;
      }
      retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
      logger.warn(`flagstaff: events delivery got HTTP ${res.status}; will retry`);
    } catch (error) {
      logger.warn('flagstaff: events delivery failed; will retry', String(error));
    }
    // Put the batch back in front; ids make a resend after an ambiguous failure harmless.
    queue = batch.concat(queue);
    trim();
    counts.retries++;
    const delay = retryAfter ?? backoffDelay(attempt++, options.retryBaseMs, options.retryMaxMs);
    retryAt = Date.now() + delay;
    schedule(delay);
    return false;
  };

  const drain = async () => {
    while (queue.length > 0 && Date.now() >= retryAt) {
      if (!(await sendBatch())) return;
    }
    if (queue.length > 0 && Date.now() >= retryAt) schedule(options.flushIntervalMs);
  };

  function flush(): Promise<void> {
    sending ??= drain()
      .catch((error) => logger.error('flagstaff: events flush failed', error))
      .finally(() => (sending = undefined));
    return sending;
  }

  return {
    push(event) {
      if (closed) return void counts.dropped++;
      queue.push(event);
      trim();
      if (queue.length >= maxBatchSize && !sending && Date.now() >= retryAt) void flush();
      else if (queue.length === 1 && !sending) schedule(options.flushIntervalMs);
    },
    flush,
    beacon() {
      const send = (globalThis.navigator as Navigator | undefined)?.sendBeacon?.bind(globalThis.navigator);
      if (!send) return;
      // sendBeacon cannot set headers: the key travels in the query string, the body as text/plain
      // (a CORS-safelisted type, so no preflight).
      const beaconUrl = `${url}?key=${encodeURIComponent(options.sdkKey)}`;
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatchSize);
        if (!send(beaconUrl, JSON.stringify({ events: batch }))) return;
        queue.splice(0, batch.length);
        counts.sent += batch.length;
      }
    },
    async close(timeoutMs) {
      if (closed) return;
      retryAt = 0;
      let timeout: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        (async () => {
          await sending;
          await flush();
        })(),
        new Promise<void>((resolve) => (timeout = unrefTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timeout);
      closed = true;
      clearTimeout(timer);
      if (queue.length) logger.warn(`flagstaff: ${queue.length} events unsent at close`);
      counts.dropped += queue.length;
      queue = [];
    },
    stats: () => ({ queued: queue.length, ...counts }),
  };
}
