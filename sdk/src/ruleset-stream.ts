import { backoffDelay, unrefTimeout } from './backoff.js';
import type { ClientConfig } from './client-types.js';

/**
 * Callbacks of {@link openRulesetStream}.
 *
 * @example
 * openRulesetStream(config, { onRuleset: apply, onOpen: () => {}, onFailure: (n) => n > 3 && poll() });
 */
export interface RulesetStreamHandlers {
  /** A `ruleset` event: its `data` is the full payload JSON. */
  onRuleset(data: string): void;
  /**
   * A `patch` event: the features changed since revision `base` (the last event's id). Returns
   * false when it cannot apply it; the stream then starts over with a whole ruleset.
   */
  onPatch(data: string, base: string): boolean;
  /** The stream is connected (again). `reconnect` is false the first time. */
  onOpen(reconnect: boolean): void;
  /** A connection attempt failed or dropped; `failures` counts consecutive ones. */
  onFailure(failures: number, fatal: boolean): void;
}

/**
 * One connection attempt as a {@link StreamConnector} sees it. `lastEventId` and `retryMs` live
 * here, not in the connector, so that they carry over to the next attempt.
 *
 * @example
 * const connection: StreamConnection = { url, lastEventId: '', open, ruleset, fail };
 */
export interface StreamConnection {
  url: string;
  lastEventId: string;
  /** The server's `retry:`, which replaces `retryBaseMs` as the base reconnect delay. */
  retryMs?: number;
  /** The connection is proven live. */
  open(): void;
  /** An event arrived (`id` is its id, or the last one when it has none). */
  event(type: string, data: string, id: string): void;
  /** The attempt failed or dropped; `fatal` when retrying cannot help (e.g. HTTP 401). */
  fail(reason: unknown, fatal?: boolean): void;
}

/**
 * Opens one SSE connection and returns how to stop it. Browsers use EventSource
 * (`event-source-stream.ts`), Node reads the stream over fetch (`fetch-stream.ts`): the client's
 * entry points pick one, so a page does not ship the fetch reader.
 *
 * @example
 * const stop = connectEventSource(config, connection);
 */
export type StreamConnector = (config: ClientConfig, connection: StreamConnection) => () => void;

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
 * Keeps an SSE connection to `GET /sdk/v1/stream` open through `config.connect`: reconnects with
 * exponential backoff and full jitter, resuming after the last event id. Exactly one connection
 * exists at a time, so handlers never multiply across reconnects.
 *
 * @example
 * const stream = openRulesetStream(resolveConfig({ apiHost, sdkKey }, platform), {
 *   onRuleset: apply, onOpen: () => {}, onFailure: () => {} });
 * stream.close();
 */
export function openRulesetStream(config: ClientConfig, handlers: RulesetStreamHandlers): RulesetStream {
  let closed = false;
  let failures = 0;
  let opened = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stop: (() => void) | undefined;

  const connection: StreamConnection = {
    // Changes come as patches (only what changed) when the server finds them smaller.
    url: `${config.apiHost}/sdk/v1/stream?patches=1`,
    lastEventId: '',
    open() {
      failures = 0;
      handlers.onOpen(opened);
      opened = true;
    },
    event(type, data, id) {
      if (type === 'ruleset') handlers.onRuleset(data);
      else if (type !== 'patch') return;
      else if (!handlers.onPatch(data, connection.lastEventId)) {
        // A patch for a revision we do not hold: reconnect without Last-Event-ID for a whole one.
        connection.lastEventId = '';
        stop?.();
        return connect();
      }
      connection.lastEventId = id;
    },
    fail(reason, fatal = false) {
      if (closed) return;
      stop?.();
      stop = undefined;
      failures++;
      config.logger.warn(`flagstaff: stream ${fatal ? 'refused' : 'lost'}`, reason);
      handlers.onFailure(failures, fatal);
      if (!fatal) {
        const base = connection.retryMs ?? config.retryBaseMs;
        timer = unrefTimeout(connect, backoffDelay(failures - 1, base, config.retryMaxMs));
      }
    },
  };

  function connect() {
    if (!closed) stop = config.connect(config, connection);
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
