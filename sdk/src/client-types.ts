import type { BanditCompiler, StickyBucketService } from './core/index.js';
import type { Attributes, Evaluation, Exposure, FeaturePayload } from './core/types.js';

/**
 * Where the SDK reports problems. `console` fits; pino and friends fit too.
 *
 * @example
 * createClient({ apiHost, sdkKey, logger: pino() });
 */
export interface Logger {
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
  debug?(message: string, ...details: unknown[]): void;
}

/**
 * Persists the last known ruleset (as the raw payload text) so a client can start offline.
 * Both sync and async stores fit (localStorage, a file, Redis...).
 *
 * @example
 * const cache: RulesetCache = { get: (k) => redis.get(k), set: (k, v) => void redis.set(k, v) };
 */
export interface RulesetCache {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
}

/**
 * The part of the browser's `EventSource` the client uses, spelled out so that Node projects
 * compile without the DOM library.
 *
 * @example
 * createClient({ apiHost, sdkKey, EventSource: window.EventSource });
 */
export type EventSourceConstructor = new (url: string) => {
  addEventListener(type: string, listener: (event: { data: string; lastEventId: string }) => void): void;
  onopen: ((...args: never[]) => unknown) | null;
  onerror: ((...args: never[]) => unknown) | null;
  close(): void;
};

/**
 * Where the ruleset in use came from.
 *
 * @example
 * if (client.stats().source === 'none') showDefaults();
 */
export type RulesetSourceKind = 'network' | 'stream' | 'cache' | 'bootstrap' | 'none';

/**
 * What `client.ready()` resolves with; it never rejects.
 *
 * @example
 * const { source, error } = await client.ready({ timeoutMs: 1000 });
 * if (error) log.warn(`flags from ${source}: ${error}`);
 */
export interface ReadyStatus {
  source: RulesetSourceKind;
  /** Set when the network could not be used (the client then serves cache, bootstrap or defaults). */
  error?: string;
}

/**
 * An exposure or outcome event as sent to `POST /sdk/v1/events`.
 *
 * @example
 * const e: SdkEvent = { type: 'track', id: crypto.randomUUID(), ts: Date.now(), unit: 'u1', event: 'buy' };
 */
export type SdkEvent =
  | {
      type: 'exposure';
      id: string;
      ts: number;
      unit: string;
      experiment: string;
      variation: string;
      flag?: string;
      attributes?: Attributes;
    }
  | {
      type: 'track';
      id: string;
      ts: number;
      unit: string;
      event: string;
      value?: number;
      properties?: Record<string, unknown>;
    };

/**
 * Delivery counters, see `client.stats()`.
 *
 * @example
 * const { dropped, queued } = client.stats();
 * metrics.gauge('flagstaff_events_queued', queued);
 */
export interface DeliveryStats {
  /** Events waiting to be sent. */
  queued: number;
  /** Events the server accepted (or reported as duplicates of accepted ones). */
  sent: number;
  /** Events dropped because the queue was full (oldest first) or still unsent at close. */
  dropped: number;
  /** Events the server refused (4xx other than 429, or listed in `rejected`). */
  rejected: number;
  /** Delivery attempts that will be retried (network errors, 5xx, 429). */
  retries: number;
}

/**
 * Options of {@link createClient}. Only `apiHost` and `sdkKey` are required.
 *
 * @example
 * const options: ClientOptions = { apiHost: 'https://flags.example.com', sdkKey, streaming: false };
 */
export interface ClientOptions {
  /** Base URL of the Flagstaff service, e.g. `https://flags.example.com`. */
  apiHost: string;
  sdkKey: string;
  /** Attributes of the default unit (browser: the current user). Servers use `forUser()`. */
  attributes?: Attributes;
  /** A payload to start from without waiting for the network (e.g. rendered by the server). */
  bootstrap?: FeaturePayload;
  /** Keep the ruleset fresh over SSE (default `true`); polling is the fallback. */
  streaming?: boolean;
  /** Polling interval when not streaming, or while the stream is failing. Default 30 s; 0 disables. */
  pollIntervalMs?: number;
  /** Key for payloads served as `encryptedFeatures`. */
  decryptionKey?: string;
  /**
   * Decrypts payloads with `decryptionKey`: pass `decryptPayload` (from `@flagstaff/sdk`). Built in
   * for Node; in browsers an opt-in, so that pages without encrypted payloads do not ship it.
   */
  decrypt?: (payload: FeaturePayload, decryptionKey: string) => Promise<FeaturePayload | null>;
  /**
   * Evaluates GrowthBook contextual-bandit rules: pass `contextualBandits` (from
   * `@flagstaff/sdk/core`). Built in for Node; in browsers an opt-in (Flagstaff writes no such rules).
   */
  contextualBandits?: BanditCompiler;
  /** Last known ruleset store. Default: localStorage in browsers, memory elsewhere. `false`: none. */
  cache?: RulesetCache | false;
  logger?: Logger;
  /** Called for every new exposure (after de-duplication), e.g. to mirror it to your analytics. */
  onExposure?: (exposure: Exposure, evaluation: Evaluation) => void;
  /** Attributes copied into exposure events, for slicing results (e.g. `['country', 'plan']`). */
  exposureAttributes?: string[];
  /** Attribute that identifies the unit of `track()` events. Default `id`. */
  unitAttribute?: string;
  /** Values that win over the ruleset (tests, QA). */
  forcedValues?: Record<string, unknown>;
  /**
   * Sticky bucketing store: keeps units in their variation when weights or rules change
   * (`InMemoryStickyBucketService`, `LocalStorageStickyBucketService` from `@flagstaff/sdk/core`,
   * or your own, e.g. over Redis).
   */
  stickyBucketService?: StickyBucketService;
  /** Injectable fetch (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /**
   * Injectable EventSource (default `globalThis.EventSource` in pages). In Node, without one, SSE
   * is read over fetch; the browser build has only EventSource (and polls without one).
   */
  EventSource?: EventSourceConstructor;
  /** Send events at least this often (default 5 s). */
  flushIntervalMs?: number;
  /** Send as soon as this many events wait, and at most this many per request (default 100). */
  maxBatchSize?: number;
  /** Bound of the event queue; the oldest events are dropped beyond it (default 10 000). */
  maxQueueSize?: number;
  /** Exposures remembered for de-duplication (default 10 000). */
  dedupeSize?: number;
  /** First retry / reconnect delay (default 1 s) and its cap (default 60 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Reconnect the stream when nothing (not even a heartbeat) arrived for this long (default 90 s). */
  streamIdleTimeoutMs?: number;
  /**
   * A ruleset or events request that takes longer fails (and is retried, or polled again), so one
   * that never answers holds nothing back. Default 10 s; 0 or `Infinity` disables. Not the stream:
   * it is long-lived.
   */
  requestTimeoutMs?: number;
  /** Log no exposures and send no events at all (e.g. server-side rendering previews). */
  disableEvents?: boolean;
}

/**
 * Why a typed read fell back, in OpenFeature's vocabulary. A failure while evaluating (an attribute
 * getter that throws, say) is `GENERAL`; `PARSE_ERROR` is no longer given (it was, for those), and
 * stays in the type only so that code matching on it still compiles.
 *
 * @example
 * if (client.evaluate('limit', 10).errorCode === 'TYPE_MISMATCH') report();
 */
export type EvaluationErrorCode =
  'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'PARSE_ERROR' | 'PROVIDER_NOT_READY' | 'GENERAL';

/**
 * An {@link Evaluation} as the client returns it: with an error code when the fallback was served.
 *
 * @example
 * const d = client.evaluate('checkout', false);
 * if (d.errorCode) log.warn(d.errorMessage);
 */
export interface EvaluationDetails<T = unknown> extends Evaluation<T> {
  errorCode?: EvaluationErrorCode;
}

/**
 * `true` → `boolean`, `'x'` → `string`...: what `getValue` returns for a given fallback.
 *
 * @example
 * const n = client.getValue('limit', 10); // Widen<10> = number, not the literal 10
 */
export type Widen<T> = T extends boolean
  ? boolean
  : T extends string
    ? string
    : T extends number
      ? number
      : T;

/**
 * Evaluates flags for one set of attributes. `client` itself is one (for its own attributes);
 * `client.forUser(attributes)` makes more, cheaply, sharing the ruleset and the event queue.
 *
 * @example
 * const user = client.forUser({ id: req.user.id, country: 'NL' });
 * if (user.isOn('new-checkout')) renderNewCheckout();
 * const limit = user.getValue('upload-limit-mb', 10); // number
 * user.track('purchase', 42.5);
 */
export interface FlagEvaluator {
  /** `true` when the flag's value is truthy (and the flag exists). */
  isOn(key: string): boolean;
  /** The flag's value, or `fallback` when missing or not of the fallback's type. */
  getValue<T>(key: string, fallback: T): Widen<T>;
  /** The full result: value, reason, rule, variation. With `fallback`, typed like `getValue`. */
  evaluate<T = unknown>(key: string, fallback?: T): EvaluationDetails<T>;
  /** Logs an outcome event for this unit (the `unitAttribute`, default `id`). */
  track(event: string, value?: number, properties?: Record<string, unknown>): void;
}
