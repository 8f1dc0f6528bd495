import { unrefTimeout } from './backoff.js';
import type { ClientOptions } from './client-types.js';

/** What the client passes to fetch (a plain-object subset of `RequestInit`). */
export interface ApiInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/**
 * The service's SDK API (`{apiHost}/sdk/v1/…`) as the client's parts call it.
 *
 * @example
 * const res = await api.send('ruleset', { headers: { 'If-None-Match': etag } });
 */
export interface SdkApi {
  /** Fetches `path` with the key as a bearer token. The body of a non-2xx answer is released unread. */
  send(path: string, init?: ApiInit): Promise<Response>;
  /** The URL of `path` with the key in the query string, for what cannot set headers (EventSource, sendBeacon). */
  keyed(path: string): string;
}

/**
 * @example
 * createSdkApi({ apiHost: 'https://flags.example.com/', sdkKey }).keyed('events'); // …/sdk/v1/events?key=…
 */
export function createSdkApi({
  apiHost,
  sdkKey,
  fetch: fetcher,
  requestTimeoutMs = 10_000,
}: ClientOptions): SdkApi {
  const base = `${String(apiHost).replace(/\/+$/, '')}/sdk/v1/`;
  return {
    // The global fetch is looked up per call (late stubs and polyfills win) and called unbound
    // (browsers refuse a fetch called as some other object's method).
    send(path, init = {}) {
      // A request that never answers fails after requestTimeoutMs (headers and body), so retries and
      // polling go on. Not the stream, which brings its own signal: it is long-lived. `Infinity`
      // disables it like 0 (a timer per request, each living ~23 days, would pile up). An unref'ed
      // timer, not AbortSignal.timeout (missing in Safari 15; in Node it throws on a fraction or
      // past 2^32 - 1 ms). The caller's init is always its own literal: setting its signal is safe.
      if (!init.signal && requestTimeoutMs > 0 && requestTimeoutMs < Infinity) {
        const timeout = new AbortController();
        init.signal = timeout.signal;
        unrefTimeout(() => timeout.abort(Error('timeout')), requestTimeoutMs);
      }
      return (fetcher ?? fetch)(base + path, {
        ...init,
        headers: { ...init.headers, Authorization: `Bearer ${sdkKey}` },
      }).then((res) => {
        // An unread body would hold the connection.
        if (!res.ok) void res.body?.cancel().catch(() => {});
        return res;
      });
    },
    keyed: (path) => `${base}${path}${path.includes('?') ? '&' : '?'}key=${encodeURIComponent(sdkKey)}`,
  };
}
