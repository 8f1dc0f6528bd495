import { unrefTimeout } from './backoff.js';
import type { ClientConfig } from './client-types.js';
import { openRulesetStream, type RulesetStream } from './ruleset-stream.js';

/**
 * Fetches the ruleset and keeps it fresh.
 *
 * @example
 * const error = await source.refresh(); // undefined when fresh
 */
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
 * pushes, and polling when streaming is off or keeps failing. `onPayload` receives each payload
 * text that differs from the previous one.
 *
 * @example
 * const source = createRulesetSource(resolveConfig({ apiHost, sdkKey }), (text) => apply(text));
 * await source.refresh();
 * source.start();
 */
export function createRulesetSource(
  config: ClientConfig,
  onPayload: (text: string, from: 'network' | 'stream') => void,
): RulesetSource {
  let etag: string | undefined;
  let last: string | undefined;
  let closed = false;
  let inflight: Promise<string | undefined> | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  let stream: RulesetStream | undefined;

  // Counts streamed payloads, so that a GET that was in flight while one arrived is known stale.
  let streamed = 0;
  const deliver = (text: string, from: 'network' | 'stream') => {
    if (from === 'stream') streamed++;
    if (closed || text === last) return;
    last = text;
    onPayload(text, from);
  };

  const get = async (): Promise<string | undefined> => {
    try {
      const headers: Record<string, string> = { Authorization: `Bearer ${config.sdkKey}` };
      if (etag) headers['If-None-Match'] = etag;
      const before = streamed;
      const res = await config.fetch(`${config.apiHost}/sdk/v1/ruleset`, { headers });
      if (res.status === 304) return;
      if (!res.ok) {
        void res.body?.cancel().catch(() => {});
        return `HTTP ${res.status}`;
      }
      const text = await res.text();
      if (before !== streamed) return; // older than what the stream just gave us
      etag = res.headers.get('ETag') ?? undefined;
      deliver(text, 'network');
    } catch (error) {
      return String((error as Error)?.message ?? error);
    }
  };

  // Overlapping callers (a poll tick and a stream reconnect) share one request.
  const refresh = () => (inflight ??= get().finally(() => (inflight = undefined)));

  const setPolling = (on: boolean) => {
    if (on === polling || config.pollIntervalMs <= 0) return;
    polling = on;
    clearTimeout(pollTimer);
    const tick = () => {
      if (closed || !polling) return;
      void refresh().then((error) => {
        if (error) config.logger.warn('flagstaff: poll failed', error);
        if (polling && !closed) pollTimer = unrefTimeout(tick, config.pollIntervalMs);
      });
    };
    if (on) pollTimer = unrefTimeout(tick, config.pollIntervalMs);
  };

  return {
    refresh,
    start() {
      if (closed || stream || polling) return;
      if (!config.streaming) return setPolling(true);
      stream = openRulesetStream(config, {
        onRuleset: (data) => deliver(data, 'stream'),
        onPatch(data, base) {
          try {
            const patch = JSON.parse(data) as {
              base: number;
              features: Record<string, unknown>;
              dateUpdated?: string;
            };
            const payload = last !== undefined && JSON.parse(last);
            if (String(patch.base) !== base || !payload?.features) return false;
            for (const key in patch.features) {
              if (patch.features[key] === null) delete payload.features[key];
              else payload.features[key] = patch.features[key];
            }
            payload.dateUpdated = patch.dateUpdated;
            deliver(JSON.stringify(payload), 'stream');
            return true;
          } catch {
            return false;
          }
        },
        onOpen(reconnect) {
          setPolling(false);
          // What changed while we were away arrives as the stream's first event, but a
          // conditional GET (usually a 304) covers servers that skip it for a known Last-Event-ID.
          if (reconnect) void refresh();
        },
        onFailure(failures, fatal) {
          if (fatal || failures >= STREAM_FAILURES_BEFORE_POLLING) setPolling(true);
        },
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
