import { backoffDelay, unrefTimeout } from './backoff.js';
import type { ClientConfig, EventSourceConstructor } from './client-types.js';
import { createSseParser, type SseEvent } from './sse-reader.js';

/**
 * Callbacks of {@link openRulesetStream}.
 *
 * @example
 * openRulesetStream(config, { onRuleset: apply, onOpen: () => {}, onFailure: (n) => n > 3 && poll() });
 */
export interface RulesetStreamHandlers {
  /** A `ruleset` event: its `data` is the full payload JSON. */
  onRuleset(data: string): void;
  /** The stream is connected (again). `reconnect` is false the first time. */
  onOpen(reconnect: boolean): void;
  /** A connection attempt failed or dropped; `failures` counts consecutive ones. */
  onFailure(failures: number, fatal: boolean): void;
}

/**
 * A running stream; `close()` aborts it for good.
 *
 * @example
 * const stream = openRulesetStream(config, handlers);
 * stream.close();
 */
export interface RulesetStream {
  close(): void;
}

/**
 * Keeps an SSE connection to `GET /sdk/v1/stream` open: reconnects with exponential backoff and
 * full jitter, resumes with `Last-Event-ID`, and drops a connection that went silent (no data, no
 * heartbeat) for `streamIdleTimeoutMs`, which is how a half-open TCP connection shows up. Exactly
 * one connection exists at a time, so handlers never multiply across reconnects. Uses
 * `EventSource` when configured (browsers), else reads the stream over `fetch`.
 *
 * @example
 * const stream = openRulesetStream(resolveConfig({ apiHost, sdkKey }), {
 *   onRuleset: apply, onOpen: () => {}, onFailure: () => {} });
 * stream.close();
 */
export function openRulesetStream(config: ClientConfig, handlers: RulesetStreamHandlers): RulesetStream {
  const url = `${config.apiHost}/sdk/v1/stream`;
  let closed = false;
  let failures = 0;
  let opened = false;
  let lastEventId = '';
  let serverRetryMs: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stop: (() => void) | undefined;

  const onEvent = (event: SseEvent) => {
    lastEventId = event.id;
    if (event.type === 'ruleset') handlers.onRuleset(event.data);
  };
  const connected = () => {
    handlers.onOpen(opened);
    opened = true;
  };
  const failed = (reason: unknown, fatal = false) => {
    if (closed) return;
    stop?.();
    stop = undefined;
    failures++;
    config.logger.warn(`flagstaff: stream ${fatal ? 'refused' : 'lost'}`, reason);
    handlers.onFailure(failures, fatal);
    if (!fatal) {
      const delay = backoffDelay(failures - 1, serverRetryMs ?? config.retryBaseMs, config.retryMaxMs);
      timer = unrefTimeout(connect, delay);
    }
  };

  const connectEventSource = (ES: EventSourceConstructor) => {
    // Browsers cannot set headers on EventSource, hence the key in the query string. We close it
    // on error (disabling its own fixed-delay reconnection) so that our backoff paces retries.
    const es = new ES(`${url}?key=${encodeURIComponent(config.sdkKey)}`);
    es.addEventListener('ruleset', (e) => handlers.onRuleset(e.data));
    es.onopen = () => {
      failures = 0;
      connected();
    };
    es.onerror = () => failed('EventSource error');
    stop = () => es.close();
  };

  const connectFetch = async () => {
    const abort = new AbortController();
    let idle: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = unrefTimeout(() => abort.abort(new Error('idle')), config.streamIdleTimeoutMs);
    };
    stop = () => {
      clearTimeout(idle);
      abort.abort();
    };
    try {
      touch();
      const headers: Record<string, string> = {
        Authorization: `Bearer ${config.sdkKey}`,
        Accept: 'text/event-stream',
      };
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const res = await config.fetch(url, { headers, signal: abort.signal });
      if (!res.ok || !res.body) {
        // 4xx other than 429 will not heal by retrying (bad key, no stream offered).
        return failed(`HTTP ${res.status}`, res.status >= 400 && res.status < 500 && res.status !== 429);
      }
      const push = createSseParser({ onEvent, onRetry: (ms) => (serverRetryMs = ms) }, lastEventId);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let live = false;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        // Only data proves the connection works: a server (or proxy) that accepts and hangs up at
        // once must keep backing off (and polling going), not be hammered at the base delay.
        if (!live) {
          live = true;
          failures = 0;
          connected();
        }
        touch();
        push(decoder.decode(value, { stream: true }));
      }
      failed('ended');
    } catch (error) {
      failed(error);
    } finally {
      clearTimeout(idle);
    }
  };

  function connect() {
    if (closed) return;
    if (config.EventSource) connectEventSource(config.EventSource);
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
