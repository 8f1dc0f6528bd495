import { backoffDelay, unrefTimeout } from './backoff.js';
import type { Logger } from './client-types.js';
import { createSseParser, type SseEvent } from './sse-reader.js';

/** Options of {@link openRulesetStream}. */
export interface RulesetStreamOptions {
  /** Full URL of `GET /sdk/v1/stream`. */
  url: string;
  sdkKey: string;
  fetch: typeof fetch;
  /** Used when given (browsers); otherwise the stream is read over `fetch`. */
  EventSource?: typeof EventSource;
  /** A `ruleset` event: its `data` is the full payload JSON. */
  onRuleset(data: string): void;
  /** The stream is connected (again). `reconnect` is false the first time. */
  onOpen?(reconnect: boolean): void;
  /** A connection attempt failed or dropped; `failures` counts consecutive ones. */
  onFailure?(failures: number, fatal: boolean): void;
  baseDelayMs: number;
  maxDelayMs: number;
  idleTimeoutMs: number;
  logger: Logger;
}

/** A running stream; `close()` aborts it for good. */
export interface RulesetStream {
  close(): void;
}

/**
 * Keeps an SSE connection to the ruleset stream open: reconnects with exponential backoff and
 * full jitter, resumes with `Last-Event-ID`, and drops a connection that went silent (no data, no
 * heartbeat) for `idleTimeoutMs`, which is how a half-open TCP connection shows up. Exactly one
 * connection exists at a time, so handlers never multiply across reconnects.
 *
 * @example
 * const stream = openRulesetStream({ url, sdkKey, fetch, onRuleset: apply, baseDelayMs: 1000,
 *   maxDelayMs: 60_000, idleTimeoutMs: 90_000, logger: console });
 * stream.close();
 */
export function openRulesetStream(options: RulesetStreamOptions): RulesetStream {
  const { logger } = options;
  let closed = false;
  let failures = 0;
  let opened = false;
  let lastEventId = '';
  let serverRetryMs: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stop: (() => void) | undefined;

  const onEvent = (event: SseEvent) => {
    lastEventId = event.id;
    if (event.type === 'ruleset') options.onRuleset(event.data);
  };
  const connected = () => {
    failures = 0;
    options.onOpen?.(opened);
    opened = true;
  };
  const failed = (reason: unknown, fatal = false) => {
    if (closed) return;
    stop?.();
    stop = undefined;
    failures++;
    logger.warn(`flagstaff: ruleset stream ${fatal ? 'refused' : 'lost'}`, String(reason));
    options.onFailure?.(failures, fatal);
    if (fatal) return;
    const delay = backoffDelay(failures - 1, serverRetryMs ?? options.baseDelayMs, options.maxDelayMs);
    timer = unrefTimeout(connect, delay);
  };

  const connectEventSource = (ES: typeof EventSource) => {
    // Browsers cannot set headers on EventSource, hence the key in the query string. We disable its
    // own reconnection (close on error) so that our backoff, not a fixed delay, paces retries.
    const es = new ES(`${options.url}?key=${encodeURIComponent(options.sdkKey)}`);
    es.addEventListener('ruleset', (e) =>
      onEvent({ type: 'ruleset', data: (e as MessageEvent).data, id: '' }),
    );
    es.onopen = connected;
    es.onerror = () => failed('EventSource error');
    stop = () => es.close();
  };

  const connectFetch = async () => {
    const abort = new AbortController();
    let idle: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = unrefTimeout(() => abort.abort(new Error('stream idle')), options.idleTimeoutMs);
    };
    stop = () => {
      clearTimeout(idle);
      abort.abort();
    };
    try {
      touch();
      const headers: Record<string, string> = {
        Authorization: `Bearer ${options.sdkKey}`,
        Accept: 'text/event-stream',
      };
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const res = await options.fetch(options.url, { headers, signal: abort.signal });
      if (!res.ok || !res.body) {
        void res.body?.cancel().catch(() => {});
        // 4xx other than 429 will not heal by retrying (bad key, stream not offered).
        const fatal = res.status >= 400 && res.status < 500 && res.status !== 429;
        return failed(`HTTP ${res.status}`, fatal);
      }
      connected();
      const push = createSseParser({ onEvent, onRetry: (ms) => (serverRetryMs = ms) }, lastEventId);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        touch();
        push(decoder.decode(value, { stream: true }));
      }
      failed('stream ended');
    } catch (error) {
      failed(error);
    } finally {
      clearTimeout(idle);
    }
  };

  function connect() {
    if (closed) return;
    if (options.EventSource) connectEventSource(options.EventSource);
    else void connectFetch();
  }

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      stop?.();
    },
  };
}
