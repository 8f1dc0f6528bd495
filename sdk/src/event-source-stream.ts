import type { StreamConnector } from './ruleset-stream.js';

/**
 * The stream over the browser's `EventSource` (`config.EventSource`, else the global one). Without
 * any, the failure is fatal, which leaves the client polling.
 *
 * @example
 * openRulesetStream({ ...config, connect: connectEventSource }, handlers);
 */
export const connectEventSource: StreamConnector = (config, connection) => {
  const ES = config.EventSource ?? globalThis.EventSource;
  if (!ES) {
    connection.fail('no EventSource', true);
    return () => {};
  }
  // Browsers cannot set headers on EventSource, hence the key in the query string. We close it on
  // error (disabling its own fixed-delay reconnection) so that our backoff paces retries.
  const es = new ES(`${connection.url}&key=${encodeURIComponent(config.sdkKey)}`);
  for (const type of ['ruleset', 'patch'])
    es.addEventListener(type, (e) => connection.event(type, e.data, e.lastEventId));
  es.onopen = () => connection.open();
  es.onerror = () => connection.fail('EventSource error');
  return () => es.close();
};
