import { STREAM_EVENTS, type StreamConnector } from './ruleset-sync.js';

/**
 * The stream over the browser's `EventSource` (the `EventSource` option, else the global one).
 * Without any, or when it throws, the failure is fatal, which leaves the client polling.
 *
 * @example
 * syncRuleset(options, api, connectEventSource, apply, warn);
 */
export const connectEventSource: StreamConnector = (path, _lastEventId, report, options, api) => {
  const ES = options.EventSource ?? globalThis.EventSource;
  let es;
  try {
    // Browsers cannot set headers on EventSource, hence the key in the query string. We close it
    // on error (disabling its own fixed-delay reconnection) so that our backoff paces retries.
    es = new ES!(api.keyed(path));
  } catch (error) {
    // None at all, or one that refuses the URL (this may run in a reconnect timer: never throw).
    report('fatal', String(error));
    return () => {};
  }
  for (const type of STREAM_EVENTS) es.addEventListener(type, (e) => report(type, e.data, e.lastEventId));
  es.onopen = () => report('open');
  es.onerror = () => report('error', 'EventSource');
  return () => es.close();
};
