import { backoffDelay, unrefTimeout } from './backoff.js';
import type { ClientOptions } from './client-types.js';
import type { FeaturePayload } from './core/types.js';
import type { SdkApi } from './sdk-api.js';

/**
 * What a stream connection reports, the way an EventSource would: `open`; a `ruleset` or `patch`
 * event (`data`, and `id`, the last event id); `retry` (`data`: the server's reconnect delay in ms);
 * `error` (`data`: why) or `fatal` when retrying cannot help (e.g. HTTP 401).
 *
 * @example
 * es.onerror = () => report('error', 'EventSource');
 */
export type StreamReport = (type: string, data?: string, id?: string) => void;

/**
 * Opens one SSE connection to `path` and returns how to stop it (after which it reports nothing).
 * Browsers use EventSource (`event-source-stream.ts`), Node reads the stream over fetch
 * (`fetch-stream.ts`): the entry points pick one, so a page does not ship the fetch reader.
 *
 * @example
 * const stop = connectEventSource('stream?patches=1', '', report, options, api);
 */
export type StreamConnector = (
  path: string,
  lastEventId: string,
  report: StreamReport,
  options: ClientOptions,
  api: SdkApi,
) => () => void;

/**
 * The SSE events a connector passes on; the rest of the stream is not ours.
 *
 * @example
 * for (const type of STREAM_EVENTS) es.addEventListener(type, (e) => report(type, e.data, e.lastEventId));
 */
export const STREAM_EVENTS = ['ruleset', 'patch'];

// After this many consecutive stream failures, poll until the stream is back.
const FAILURES_BEFORE_POLLING = 3;
// A connection that lasted this long and then dropped was healthy: reconnect as after a first failure.
const HEALTHY_MS = 30_000;

/**
 * Applies a patch's features (`null`: removed) and date onto `payload`, which it changes and returns.
 *
 * @example
 * const next = mergePatch({ ...payload, features: { ...payload.features } }, decryptedPatch);
 */
export const mergePatch = (payload: FeaturePayload, { features, dateUpdated }: FeaturePayload) => {
  for (const key in features) {
    if (features[key]) payload.features![key] = features[key];
    else delete payload.features![key];
  }
  payload.dateUpdated = dateUpdated;
  return payload;
};

/**
 * The network side of the client, one state machine: a conditional GET of the ruleset (ETag), then
 * an SSE stream of whole rulesets and patches, reconnecting with backoff and resuming after the
 * last event id (one connection at a time, so handlers never multiply), and polling while
 * streaming is off, refused or keeps failing. `take` receives each payload text that differs from
 * the previous one; an encrypted patch as it came, for the client to decrypt and apply (with
 * `mergePatch`) onto the payload delivered just before it, or else to call `resync`.
 *
 * @example
 * const sync = syncRuleset(options, api, connectEventSource, apply, warn);
 * const error = await sync.refresh(); // undefined when fresh
 * sync.start();
 */
export function syncRuleset(
  options: ClientOptions,
  api: SdkApi,
  connect: StreamConnector,
  take: (text: string, from: 'network' | 'stream') => void,
  warn: (what: string, detail?: unknown) => void,
) {
  const { streaming = true, pollIntervalMs = 30_000 } = options;
  let closed = false;
  let etag: string | null = null;
  let last: string | undefined;
  let inflight: Promise<string | undefined> | undefined;
  let polling = false;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stop: (() => void) | undefined;
  let lastEventId = '';
  // The payload text the stream gave at revision lastEventId: a patch applies onto it only.
  let at: string | undefined;
  let retryMs: number | undefined;
  let failures = 0;
  let opened = false;
  let openedAt = 0;
  // Counts streamed payloads, so that a GET that was in flight while one arrived is known stale.
  let streamed = 0;

  const deliver = (text: string, from: 'network' | 'stream') => {
    if (from === 'stream') streamed++;
    if (closed || text === last) return;
    last = text;
    take(text, from);
  };

  // Resolves `undefined` when fresh, else why not. Overlapping callers share one request.
  const refresh = () =>
    (inflight ??= (async () => {
      try {
        const before = streamed;
        const res = await api.send('ruleset', etag ? { headers: { 'If-None-Match': etag } } : {});
        if (res.status === 304) return;
        if (!res.ok) return `HTTP ${res.status}`;
        const text = await res.text();
        if (before !== streamed) return; // older than what the stream just gave us
        etag = res.headers.get('ETag');
        deliver(text, 'network');
      } catch (error) {
        return String(error);
      }
    })().finally(() => (inflight = undefined)));

  // One timer at a time, even when polling goes off and on again while a poll is in flight.
  const poll = () => {
    clearTimeout(pollTimer);
    if (polling)
      pollTimer = unrefTimeout(
        () =>
          void refresh().then((error) => {
            if (error) warn('poll failed', error);
            poll();
          }),
        pollIntervalMs,
      );
  };
  // Only a change restarts the timer: stream failures keep asking for polling, and each restart
  // would push the next poll back, starving it while they come faster than pollIntervalMs.
  const setPolling = (on: boolean) => {
    if (closed || pollIntervalMs <= 0 || on === polling) return;
    polling = on;
    poll();
  };

  // A patch holds the features changed since revision `base`: the payload it makes (an encrypted
  // patch as it is, for the client), or `undefined` when we hold another revision (also when a
  // poll replaced the stream's payload) or it is unreadable.
  const patched = (data: string) => {
    try {
      const patch = JSON.parse(data);
      if (String(patch.base) !== lastEventId || last !== at) return;
      if (patch.encryptedFeatures) return data;
      // Parsed only for a patch that applies: the held payload is the whole ruleset.
      const payload = JSON.parse(last!);
      return payload.features && JSON.stringify(mergePatch(payload, patch));
    } catch {
      return;
    }
  };

  const open = () => {
    // Changes come as patches (only what changed) when the server finds them smaller; `2`: encrypted
    // rulesets too (`1` keeps those whole, for SDKs that cannot apply them).
    if (!closed) stop = connect('stream?patches=2', lastEventId, report, options, api);
  };
  // Starts over without Last-Event-ID, for a whole ruleset.
  const resync = () => {
    lastEventId = '';
    stop?.();
    open();
  };

  const report: StreamReport = (type, data, id) => {
    if (closed) return;
    if (type === 'open') {
      openedAt = Date.now();
      // What changed while we were away arrives as the stream's first event, but a conditional
      // GET (usually a 304) covers servers that skip it for a known Last-Event-ID.
      if (opened) void refresh();
      opened = true;
    }
    // `retry: 0` would make every backoff delay 0 (a reconnect loop): the configured base then.
    else if (type === 'retry') retryMs = Number(data) || undefined;
    else if (type === 'ruleset' || type === 'patch') {
      // A `ruleset` without data is the service's `current`: a stream resumed at the revision we
      // hold, which proves it back as a delivery does.
      const text = type === 'ruleset' ? (data ?? last) : patched(data!);
      if (text) {
        // Only a stream that delivers counts as back, not one that opens: a proxy that accepts
        // and hangs up at once must meet a growing backoff and polling, not a reconnect loop.
        failures = 0;
        setPolling(false);
        deliver(text, 'stream');
        lastEventId = id!;
        at = last;
      } else resync(); // a patch for a revision we do not hold
    } else {
      stop?.();
      stop = undefined;
      warn(`stream ${type}`, data);
      if (openedAt && Date.now() - openedAt > HEALTHY_MS) {
        failures = 0;
        setPolling(false);
      }
      openedAt = 0;
      failures++;
      if (type === 'fatal' || failures >= FAILURES_BEFORE_POLLING) setPolling(true);
      if (type !== 'fatal') retryTimer = unrefTimeout(open, backoffDelay(failures - 1, options, retryMs));
    }
  };

  return {
    refresh,
    resync,
    /** Starts streaming (or polling). */
    start: () => (streaming ? open() : setPolling(true)),
    close() {
      setPolling(false);
      closed = true;
      clearTimeout(retryTimer);
      stop?.();
    },
  };
}
