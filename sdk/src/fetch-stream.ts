import { unrefTimeout } from './backoff.js';
import { connectEventSource } from './event-source-stream.js';
import type { StreamConnector } from './ruleset-stream.js';
import { createSseParser } from './sse-reader.js';

/**
 * The stream read over `fetch` (Node 20 has no EventSource), with the key in a header and
 * `Last-Event-ID` sent on reconnects. A connection that went silent (no data, no heartbeat) for
 * `streamIdleTimeoutMs` is dropped: that is how a half-open TCP connection shows up.
 *
 * @example
 * openRulesetStream({ ...config, connect: connectFetchStream }, handlers);
 */
export const connectFetchStream: StreamConnector = (config, connection) => {
  const abort = new AbortController();
  // Stopped from outside: the aborted read must not report a failure (and start another attempt).
  let stopped = false;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = unrefTimeout(() => abort.abort(new Error('idle')), config.streamIdleTimeoutMs);
  };
  const read = async () => {
    try {
      touch();
      const headers: Record<string, string> = {
        Authorization: `Bearer ${config.sdkKey}`,
        Accept: 'text/event-stream',
      };
      if (connection.lastEventId) headers['Last-Event-ID'] = connection.lastEventId;
      const res = await config.fetch(connection.url, { headers, signal: abort.signal });
      if (!res.ok || !res.body) {
        // 4xx other than 429 will not heal by retrying (bad key, no stream offered).
        const status = res.status;
        return connection.fail(`HTTP ${status}`, status >= 400 && status < 500 && status !== 429);
      }
      const push = createSseParser(
        {
          onEvent: (event) => connection.event(event.type, event.data, event.id),
          onRetry: (ms) => (connection.retryMs = ms),
        },
        connection.lastEventId,
      );
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
          connection.open();
        }
        touch();
        push(decoder.decode(value, { stream: true }));
      }
      if (!stopped) connection.fail('ended');
    } catch (error) {
      if (!stopped) connection.fail(error);
    } finally {
      clearTimeout(idle);
    }
  };
  void read();
  return () => {
    stopped = true;
    clearTimeout(idle);
    abort.abort();
  };
};

/**
 * EventSource when one is configured (pages), else the fetch reader (Node, workers).
 *
 * @example
 * resolveConfig(options, { connect: connectAnyStream });
 */
export const connectAnyStream: StreamConnector = (config, connection) =>
  (config.EventSource ? connectEventSource : connectFetchStream)(config, connection);
