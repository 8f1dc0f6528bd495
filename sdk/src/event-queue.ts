import { backoffDelay, parseRetryAfter, unrefTimeout } from './backoff.js';
import type { ClientConfig, DeliveryStats, SdkEvent } from './client-types.js';

/**
 * Batches events to `POST /sdk/v1/events`.
 *
 * @example
 * queue.push(event);
 * await queue.flush();
 */
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

/**
 * A bounded, batching event queue. Batches leave when `maxBatchSize` events wait or every
 * `flushIntervalMs`; one request is in flight at a time. Network errors, 5xx and 429 are retried
 * with backoff (honouring `Retry-After`); other 4xx are dropped and logged, since resending the
 * same bytes cannot succeed. When full, the oldest events are dropped: recent data is worth more.
 *
 * @example
 * const queue = createEventQueue(resolveConfig({ apiHost, sdkKey }));
 * queue.push({ type: 'track', id: crypto.randomUUID(), ts: Date.now(), unit: 'u1', event: 'buy' });
 * await queue.close(2000);
 */
export function createEventQueue(config: ClientConfig): EventQueue {
  const url = `${config.apiHost}/sdk/v1/events`;
  const { logger, maxBatchSize, maxQueueSize } = config;
  // Events are serialized when queued: a bad value (a cycle, a BigInt) is refused at once instead
  // of failing every retry, and later mutations of the app's objects do not leak into the event.
  let queue: string[] = [];
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

  // One timer at a time: the next interval flush or the pending retry, whichever is due.
  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = closed
      ? undefined
      : unrefTimeout(() => {
          // Timers may fire a millisecond early by Date.now(); the timer, not the clock, decides.
          timer = undefined;
          retryAt = 0;
          void flush();
        }, ms);
  };

  // Sends one batch; returns false when delivery must wait for a retry.
  const sendBatch = async (): Promise<boolean> => {
    const batch = queue.splice(0, maxBatchSize);
    let retryAfter: number | undefined;
    try {
      const res = await config.fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${config.sdkKey}`, 'Content-Type': 'application/json' },
        body: `{"events":[${batch.join(',')}]}`,
      });
      // An unread body would hold the connection: release it whenever we do not read it.
      if (!res.ok) void res.body?.cancel().catch(() => {});
      if (res.ok || (res.status !== 429 && res.status < 500)) {
        // 2xx: the body lists refused events. Other 4xx: resending cannot help, drop the batch.
        const rejected = res.ok
          ? ((await res.json().catch(() => ({}))) as { rejected?: unknown[] }).rejected?.length || 0
          : batch.length;
        counts.sent += batch.length - rejected;
        counts.rejected += rejected;
        if (rejected) logger.warn(`flagstaff: ${rejected} events rejected (HTTP ${res.status})`);
        attempt = 0;
        return true;
      }
      retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
      logger.warn(`flagstaff: events got HTTP ${res.status}, retrying`);
    } catch (error) {
      logger.warn('flagstaff: events failed, retrying', error);
    }
    // Put the batch back in front; ids make a resend after an ambiguous failure harmless.
    queue = batch.concat(queue);
    trim();
    counts.retries++;
    const delay = retryAfter ?? backoffDelay(attempt++, config.retryBaseMs, config.retryMaxMs);
    retryAt = Date.now() + delay;
    schedule(delay);
    return false;
  };

  const drain = async () => {
    while (queue.length > 0 && Date.now() >= retryAt) {
      if (!(await sendBatch())) return;
    }
  };

  function flush(): Promise<void> {
    return (sending ??= drain()
      .catch((error) => logger.error('flagstaff: flush failed', error))
      .finally(() => {
        sending = undefined;
        // Events pushed while the last request was settling were left to it: give them a timer.
        if (queue.length && !timer) schedule(config.flushIntervalMs);
      }));
  }

  return {
    push(event) {
      if (closed) return void counts.dropped++;
      try {
        queue.push(JSON.stringify(event));
      } catch (error) {
        counts.rejected++;
        return logger.error('flagstaff: event not serializable', error);
      }
      trim();
      if (sending || Date.now() < retryAt) return; // the running send or the retry takes it along
      if (queue.length >= maxBatchSize) void flush();
      else if (!timer) schedule(config.flushIntervalMs);
    },
    flush,
    beacon() {
      const nav = globalThis.navigator;
      if (!nav?.sendBeacon) return;
      // sendBeacon cannot set headers: the key travels in the query string, the body as text/plain
      // (a CORS-safelisted type, so no preflight).
      const beaconUrl = `${url}?key=${encodeURIComponent(config.sdkKey)}`;
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatchSize);
        if (!nav.sendBeacon(beaconUrl, `{"events":[${batch.join(',')}]}`)) return;
        queue.splice(0, batch.length);
        counts.sent += batch.length;
      }
    },
    async close(timeoutMs) {
      if (closed) return;
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const finish = async () => {
        await sending;
        // Last chance: keep retrying (still honouring Retry-After) until delivered or out of time.
        while (!closed && queue.length > 0) {
          const wait = retryAt - Date.now();
          if (wait > 0) await new Promise<void>((resolve) => unrefTimeout(resolve, wait));
          retryAt = 0;
          await flush();
        }
      };
      await Promise.race([
        finish(),
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
