import { unrefTimeout } from './backoff.js';
import type { Logger } from './client-types.js';
import { openRulesetStream, type RulesetStream } from './ruleset-stream.js';

/** Options of {@link createRulesetSource}. */
export interface RulesetSourceOptions {
  apiHost: string;
  sdkKey: string;
  fetch: typeof fetch;
  EventSource?: typeof EventSource;
  streaming: boolean;
  pollIntervalMs: number;
  /** Receives every payload text that differs from the previous one. */
  onPayload(text: string, from: 'network' | 'stream'): void;
  retryBaseMs: number;
  retryMaxMs: number;
  streamIdleTimeoutMs: number;
  logger: Logger;
}

/** Fetches the ruleset and keeps it fresh. */
export interface RulesetSource {
  /** Conditional GET of the ruleset; resolves `undefined` on success or the error message. */
  refresh(): Promise<string | undefined>;
  /** Starts streaming (or polling). */
  start(): void;
  close(): void;
}

// After this many consecutive stream failures, poll until the stream is back.
const STREAM_FAILURES_BEFORE_POLLING = 3;

/**
 * The network side of the client: `GET /sdk/v1/ruleset` with `If-None-Match`, an SSE stream for
 * pushes, and polling when streaming is off or keeps failing.
 *
 * @example
 * const source = createRulesetSource({ apiHost, sdkKey, fetch, streaming: true, pollIntervalMs: 30_000,
 *   onPayload: (text) => apply(text), retryBaseMs: 1000, retryMaxMs: 60_000,
 *   streamIdleTimeoutMs: 90_000, logger: console });
 * await source.refresh();
 * source.start();
 */
export function createRulesetSource(options: RulesetSourceOptions): RulesetSource {
  const base = options.apiHost.replace(/\/+$/, '');
  let etag: string | undefined;
  let last: string | undefined;
  let closed = false;
  let inflight: Promise<string | undefined> | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  let stream: RulesetStream | undefined;

  const deliver = (text: string, from: 'network' | 'stream') => {
    if (closed || text === last) return;
    last = text;
    options.onPayload(text, from);
  };

  const get = async (): Promise<string | undefined> => {
    try {
      const headers: Record<string, string> = { Authorization: `Bearer ${options.sdkKey}` };
      if (etag) headers['If-None-Match'] = etag;
      const res = await options.fetch(`${base}/sdk/v1/ruleset`, { headers });
      if (res.status === 304) return undefined;
      if (!res.ok) {
        void res.body?.cancel().catch(() => {});
        return `HTTP ${res.status}`;
      }
      const text = await res.text();
      etag = res.headers.get('ETag') ?? undefined;
      deliver(text, 'network');
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };

  const refresh = () => {
    // Callers overlapping (poll tick + stream reconnect) share one request.
    inflight ??= get().finally(() => (inflight = undefined));
    return inflight;
  };

  const setPolling = (on: boolean) => {
    if (on === polling || options.pollIntervalMs <= 0) return;
    polling = on;
    clearTimeout(pollTimer);
    const tick = () => {
      if (closed || !polling) return;
      void refresh().then((error) => {
        if (error) options.logger.warn('flagstaff: ruleset poll failed', error);
        if (polling && !closed) pollTimer = unrefTimeout(tick, options.pollIntervalMs);
      });
    };
    if (on) pollTimer = unrefTimeout(tick, options.pollIntervalMs);
  };

  return {
    refresh,
    start() {
      if (closed || stream || polling) return;
      if (!options.streaming) return setPolling(true);
      stream = openRulesetStream({
        url: `${base}/sdk/v1/stream`,
        sdkKey: options.sdkKey,
        fetch: options.fetch,
        EventSource: options.EventSource,
        onRuleset: (data) => deliver(data, 'stream'),
        onOpen: (reconnect) => {
          setPolling(false);
          // Whatever changed while we were away arrives as the stream's first event, but a
          // conditional GET (usually a 304) covers servers that skip it for a known Last-Event-ID.
          if (reconnect) void refresh();
        },
        onFailure: (failures, fatal) => {
          if (fatal || failures >= STREAM_FAILURES_BEFORE_POLLING) setPolling(true);
        },
        baseDelayMs: options.retryBaseMs,
        maxDelayMs: options.retryMaxMs,
        idleTimeoutMs: options.streamIdleTimeoutMs,
        logger: options.logger,
      });
    },
    close() {
      closed = true;
      polling = false;
      clearTimeout(pollTimer);
      stream?.close();
    },
  };
}
