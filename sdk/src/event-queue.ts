import { backoffDelay, parseRetryAfter, sleep, unrefTimeout } from './backoff.js';
import type { ClientOptions, DeliveryStats, SdkEvent } from './client-types.js';
import type { SdkApi } from './sdk-api.js';

/**
 * A bounded, batching queue of events for `POST /sdk/v1/events`. Batches leave when
 * `maxBatchSize` events wait or every `flushIntervalMs`; one request is in flight at a time.
 * Network errors, 5xx and 429 are retried with backoff (honouring `Retry-After`); other 4xx are
 * dropped and logged, since resending the same bytes cannot succeed. When full, the oldest events
 * are dropped: recent data is worth more.
 *
 * @example
 * const queue = createEventQueue(options, api, warn);
 * queue.push({ type: 'track', id: randomId(), ts: Date.now(), unit: 'u1', event: 'buy' });
 * await queue.close(2000);
 */
export function createEventQueue(
  options: ClientOptions,
  api: SdkApi,
  warn: (what: string, detail?: unknown) => void,
) {
  const { flushIntervalMs = 5000, maxQueueSize = 10_000 } = options;
  // At least 1: batches of 0 (`maxBatchSize: 0` for "no batching", say) never emptied the queue.
  const maxBatchSize = Math.max(options.maxBatchSize ?? 100, 1);
  // Events are serialized when queued: a bad value (a cycle, a BigInt) is refused at once instead
  // of failing every retry, and later mutations of the app's objects do not leak into the event.
  let queue: string[] = [];
  let sending: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let retryAt = 0;
  let attempt = 0;
  let closed = false;
  let sent = 0;
  let dropped = 0;
  let rejected = 0;
  let retries = 0;

  const body = (batch: string[]) => `{"events":[${batch.join()}]}`;
  const trim = () => {
    if (queue.length > maxQueueSize) dropped += queue.splice(0, queue.length - maxQueueSize).length;
  };

  // One timer at a time: the next interval flush or the pending retry, whichever is due.
  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (!closed)
      timer = unrefTimeout(() => {
        // Timers may fire a millisecond early by Date.now(); the timer, not the clock, decides.
        timer = undefined;
        retryAt = 0;
        void flush();
      }, ms);
  };

  // Sends batches until the queue is empty or a failed one must wait for its retry.
  const send = async () => {
    while (queue.length && Date.now() >= retryAt) {
      const batch = queue.splice(0, maxBatchSize);
      let wait: number | undefined;
      try {
        const res = await api.send('events', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: body(batch),
        });
        const status = res.status;
        if (status !== 429 && status < 500) {
          // 2xx: the body lists refused events. Other 4xx: resending cannot help, drop the batch.
          // (A 2xx whose body is no report, JSON `null` included, refused nothing.)
          const refused = res.ok ? (await res.json().catch(() => 0))?.rejected?.length || 0 : batch.length;
          sent += batch.length - refused;
          rejected += refused;
          if (refused) warn(`${refused} events rejected`, status);
          attempt = 0;
          continue;
        }
        wait = parseRetryAfter(res.headers.get('Retry-After'));
        warn('events failed, retrying', status);
      } catch (error) {
        warn('events failed, retrying', error);
      }
      // close() stopped waiting for this request: nothing will resend the batch.
      if (closed) return void (dropped += batch.length);
      // Put the batch back in front; ids make a resend after an ambiguous failure harmless.
      queue = batch.concat(queue);
      trim();
      retries++;
      wait ??= backoffDelay(attempt++, options);
      retryAt = Date.now() + wait;
      schedule(wait);
    }
  };

  const flush = (): Promise<void> =>
    (sending ??= send()
      .catch((error) => warn('flush failed', error))
      .finally(() => {
        sending = undefined;
        // Events pushed while the last request was settling were left to it: give them a timer.
        if (queue.length && !timer) schedule(flushIntervalMs);
      }));

  return {
    push(event: SdkEvent) {
      if (closed) return void dropped++;
      try {
        queue.push(JSON.stringify(event));
      } catch (error) {
        rejected++;
        return warn('event not serializable', error);
      }
      trim();
      if (sending || Date.now() < retryAt) return; // the running send or the retry takes it along
      if (queue.length >= maxBatchSize) void flush();
      else if (!timer) schedule(flushIntervalMs);
    },
    flush,
    /** Hands what is queued to `navigator.sendBeacon` (the page is going away). */
    beacon() {
      // sendBeacon cannot set headers: the key travels in the query string, the body as text/plain
      // (a CORS-safelisted type, so no preflight).
      while (
        queue.length &&
        globalThis.navigator?.sendBeacon?.(api.keyed('events'), body(queue.slice(0, maxBatchSize)))
      )
        sent += queue.splice(0, maxBatchSize).length;
    },
    /** A last flush, retrying while `timeoutMs` lasts; what is left then is counted as dropped. */
    async close(timeoutMs: number) {
      if (closed) return;
      const drain = async () => {
        await sending;
        while (!closed && queue.length) {
          await sleep(retryAt - Date.now()); // still honouring Retry-After
          retryAt = 0;
          await flush();
        }
      };
      await Promise.race([drain(), sleep(timeoutMs)]);
      closed = true;
      clearTimeout(timer);
      if (queue.length) warn(`${queue.length} events unsent at close`);
      dropped += queue.length;
      queue = [];
    },
    stats: (): DeliveryStats => ({ queued: queue.length, sent, dropped, rejected, retries }),
  };
}
