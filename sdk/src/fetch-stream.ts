import { unrefTimeout } from './backoff.js';
import { connectEventSource } from './event-source-stream.js';
import { STREAM_EVENTS, type StreamConnector, type StreamReport } from './ruleset-sync.js';
import { createSseParser } from './sse-reader.js';

/**
 * The stream read over `fetch` (Node 20 has no EventSource), with the key in a header and
 * `Last-Event-ID` sent on reconnects. A connection that went silent (no data, no heartbeat) for
 * `streamIdleTimeoutMs` is dropped: that is how a half-open TCP connection shows up.
 *
 * @example
 * syncRuleset(options, api, connectFetchStream, apply, warn);
 */
const connectFetchStream: StreamConnector = (path, lastEventId, report, options, api) => {
  const abort = new AbortController();
  // Stopped from outside (even by one of its own events, e.g. a patch for another revision): the
  // rest of its chunk and the aborted read must report nothing, or they would act on the next
  // connection.
  let stopped = false;
  const tell: StreamReport = (type, data, id) => stopped || report(type, data, id);
  let idle: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = unrefTimeout(() => abort.abort(new Error('idle')), options.streamIdleTimeoutMs ?? 90_000);
  };
  const read = async () => {
    try {
      touch();
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const res = await api.send(path, { headers, signal: abort.signal });
      if (!res.ok || !res.body) {
        // 4xx other than 429 will not heal by retrying (bad key, no stream offered).
        const status = res.status;
        return tell(status >= 400 && status < 500 && status !== 429 ? 'fatal' : 'error', `HTTP ${status}`);
      }
      const push = createSseParser(
        {
          // `current` (the stream resumed at the revision we hold) goes on as a `ruleset` without
          // data. It comes only on streams resumed with Last-Event-ID, which EventSource streams never
          // are (each connection is a new EventSource), so only this reader looks for it.
          onEvent: ({ type, data, id }) =>
            type === 'current'
              ? tell('ruleset', undefined, id)
              : STREAM_EVENTS.includes(type) && tell(type, data, id),
          onRetry: (ms) => tell('retry', String(ms)),
        },
        lastEventId,
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
          tell('open');
        }
        touch();
        push(decoder.decode(value, { stream: true }));
      }
      tell('error', 'ended');
    } catch (error) {
      tell('error', String(error));
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
 * EventSource when one is given (or in a page), else the fetch reader (Node, workers). Node 22+
 * has a global EventSource too, but over fetch the key can travel in a header: pages only.
 *
 * @example
 * buildClient(options, connectAnyStream);
 */
export const connectAnyStream: StreamConnector = (path, lastEventId, report, options, api) =>
  (options.EventSource || (typeof window !== 'undefined' && globalThis.EventSource)
    ? connectEventSource
    : connectFetchStream)(path, lastEventId, report, options, api);
