import { STREAM_EVENTS, type StreamConnector } from './ruleset-sync.js';

/**
 * The stream over the browser's `EventSource` (the `EventSource` option, else the global one).
 * Without any, the failure is fatal, which leaves the client polling.
 *
 * @example
 * syncRuleset(options, api, connectEventSource, apply, warn);
 */
export const connectEventSource: StreamConnector = (path, _lastEventId, report, options, api) => {
  const ES = options.EventSource ?? globalThis.EventSource;
  if (!ES) {
    report('fatal', 'no EventSource');
    return () => {};
  }
  // Browsers cannot set headers on EventSource, hence the key in the query string. We close it on
  // error (disabling its own fixed-delay reconnection) so that our backoff paces retries.
  const es = new ES(api.keyed(path));
  for (const type of STREAM_EVENTS) es.addEventListener(type, (e) => report(type, e.data, e.lastEventId));
  es.onopen = () => report('open');
  es.onerror = () => report('error', 'EventSource');
  return () => es.close();
};
