import type {
  Attributes,
  Evaluation,
  FeaturePayload,
  StickyAssignmentDocs,
  StickyAssignmentsDocument,
} from './core/types.js';
import {
  compile,
  evaluate as evaluateFlag,
  loadStickyBucketAssignments,
  type BanditCompiler,
  type CompiledRuleset,
} from './core/index.js';
import { sleep } from './backoff.js';
import type {
  ClientOptions,
  DeliveryStats,
  EvaluationDetails,
  EvaluationErrorCode,
  EvaluationScope,
  FlagEvaluator,
  ReadyStatus,
  RulesetSourceKind,
  SdkEvent,
  Widen,
} from './client-types.js';
import { createEventQueue } from './event-queue.js';
import { randomId } from './random-id.js';
import { defaultCache } from './ruleset-cache.js';
import { syncRuleset, type StreamConnector } from './ruleset-sync.js';
import { createSdkApi } from './sdk-api.js';

/**
 * A Flagstaff client: evaluates flags locally and keeps its ruleset fresh.
 *
 * @example
 * const client: FlagstaffClient = createClient({ apiHost, sdkKey });
 * await client.ready();
 * client.isOn('new-nav');
 */
export interface FlagstaffClient extends FlagEvaluator {
  /** Settles (never rejects) once the first network load finished, or after `timeoutMs` (default 5 s). */
  ready(options?: { timeoutMs?: number }): Promise<ReadyStatus>;
  /** Replaces the attributes of the client's own unit (browsers). */
  setAttributes(attributes: Attributes): void;
  /**
   * An evaluator for other attributes (one request, one user), sharing ruleset, event queue and
   * sticky-bucket service. Pass preloaded sticky-bucket documents, or use {@link forUserAsync}.
   */
  forUser(
    attributes: Attributes,
    options?: { stickyBucketAssignments?: StickyAssignmentDocs },
  ): FlagEvaluator;
  /** Like `forUser`, after loading the unit's sticky-bucket documents from the service. */
  forUserAsync(attributes: Attributes): Promise<FlagEvaluator>;
  /** Calls `listener` after every ruleset change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Sends queued events now. */
  flush(): Promise<void>;
  /** Flushes (bounded by `timeoutMs`, default 2 s), then stops the stream, timers and listeners. */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /** Delivery counters and where the ruleset came from. */
  stats(): DeliveryStats & { source: RulesetSourceKind };
  /**
   * The payload in use (decrypted), e.g. to render into a page as the browser client's
   * `bootstrap`. Mind that a server payload shows every targeting rule to whoever reads the page.
   */
  getPayload(): FeaturePayload | undefined;
}

const sameType = (value: unknown, fallback: unknown) =>
  fallback == null ||
  (typeof value === typeof fallback && Array.isArray(value) === Array.isArray(fallback) && value !== null);

const failed = <T>(key: string, value: T, errorCode: EvaluationErrorCode, errorMessage: string) => ({
  key,
  value,
  on: !!value,
  off: !value,
  reason: errorCode === 'FLAG_NOT_FOUND' ? errorCode : ('ERROR' as const),
  errorCode,
  errorMessage,
});

/**
 * The client, over the stream connector of an entry point and what that entry builds in
 * (decryption, contextual bandits): `createClient` of `@flagstaff/sdk` (Node and browser entries)
 * is this with those bound. It starts loading at once. No method throws into the host app.
 *
 * @example
 * const client = buildClient({ apiHost, sdkKey }, connectEventSource);
 */
export function buildClient(
  options: ClientOptions,
  connect: StreamConnector,
  builtInDecrypt?: ClientOptions['decrypt'],
  builtInBandits?: BanditCompiler,
): FlagstaffClient {
  const {
    sdkKey,
    bootstrap,
    decryptionKey,
    decrypt = builtInDecrypt,
    contextualBandits = builtInBandits,
    logger = console,
    forcedValues,
    stickyBucketService: sticky,
    onExposure,
    exposureAttributes,
    unitAttribute = 'id',
    dedupeSize = 10_000,
    disableEvents,
  } = options;
  const cache = options.cache === false ? undefined : (options.cache ?? defaultCache());
  const cacheKey = `flagstaff:${sdkKey}`;
  const log = (level: 'warn' | 'error', what: string, detail?: unknown) =>
    logger[level](`flagstaff: ${what}`, detail);
  const api = createSdkApi(options);
  const queue = createEventQueue(options, api, log);
  const listeners = new Set<() => void>();
  let ruleset: CompiledRuleset | undefined;
  let source: RulesetSourceKind = 'none';
  let applied = Promise.resolve();
  let closed = false;
  let attributes: Attributes = { ...options.attributes };
  let ownDocs: StickyAssignmentDocs | undefined;

  // Sticky-bucket documents of a unit, for the attributes the current ruleset buckets sticky by.
  const loadDocs = async (attrs: Attributes) => {
    if (!sticky || !ruleset) return;
    try {
      return await loadStickyBucketAssignments(sticky, attrs, ruleset.stickyBucketAttributes);
    } catch (error) {
      log('error', 'sticky bucket load failed', error);
      return {};
    }
  };
  const refreshOwnDocs = async () => {
    const before = attributes;
    const docs = await loadDocs(before);
    if (attributes === before) ownDocs = docs;
  };
  const saveDoc =
    sticky &&
    ((doc: StickyAssignmentsDocument) =>
      void Promise.resolve()
        .then(() => sticky.saveAssignments(doc))
        .catch((error: unknown) => log('error', 'sticky bucket save failed', error)));

  const use = (payload: FeaturePayload, from: RulesetSourceKind) => {
    ruleset = compile(payload, {
      logger: (message, issue) => log('warn', message, issue),
      contextualBandits,
    });
    source = from;
    if (sticky) void refreshOwnDocs();
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch (error) {
        log('error', 'subscriber threw', error);
      }
    }
  };

  // Payload text from any source, applied in arrival order although decryption is asynchronous.
  // A payload that fails to parse or decrypt is logged and ignored: the previous ruleset stays.
  const apply = (text: string, from: RulesetSourceKind) =>
    (applied = applied.then(async () => {
      try {
        let payload: FeaturePayload | null = JSON.parse(text);
        if (payload!.encryptedFeatures) {
          payload = decrypt && decryptionKey ? await decrypt(payload!, decryptionKey) : null;
          if (!payload)
            throw new Error('cannot decrypt: pass decrypt: decryptPayload and the right decryptionKey');
        }
        if (closed) return;
        use(payload!, from);
        // Cache the text as served (still encrypted, if it was): the cache holds no plain rules.
        // Not awaited: a slow store must not hold back the next ruleset.
        if (cache && (from === 'network' || from === 'stream'))
          Promise.resolve()
            .then(() => cache.set(cacheKey, text))
            .catch((error: unknown) => log('warn', 'cache write failed', error));
      } catch (error) {
        log('error', `bad ${from} ruleset`, error);
      }
    }));

  const sync = syncRuleset(options, api, connect, apply, log);

  // A plain bootstrap is compiled at once, so that the first render already sees real values.
  try {
    if (bootstrap?.encryptedFeatures) void apply(JSON.stringify(bootstrap), 'bootstrap');
    else if (bootstrap) use(bootstrap, 'bootstrap');
  } catch (error) {
    log('error', 'bad bootstrap ruleset', error);
  }

  const initial: Promise<ReadyStatus> = (async () => {
    if (!bootstrap) {
      try {
        const text = await cache?.get(cacheKey);
        if (text && !ruleset) await apply(text, 'cache');
      } catch (error) {
        log('warn', 'cache read failed', error);
      }
    }
    const error = closed ? 'closed' : await sync.refresh();
    await applied;
    if (sticky) await refreshOwnDocs();
    if (!closed) sync.start();
    return error ? { source, error } : { source };
  })().catch((error: unknown) => ({ source, error: String(error) }));

  const emit = (type: SdkEvent['type'], unit: string, fields: object) =>
    disableEvents || queue.push({ type, id: randomId(), ts: Date.now(), unit, ...fields } as SdkEvent);

  // One exposure event per (unit, experiment, variation) while remembered: a Set keeps insertion
  // order, so re-adding a key makes it the youngest and the oldest is evicted beyond `dedupeSize`.
  const seen = new Set<string>();
  const expose = (evaluation: Evaluation, attrs: Attributes) => {
    const { unit, experiment, variation, flag } = evaluation.exposure!;
    const key = `${unit}|${experiment}|${variation}`;
    const known = seen.delete(key);
    seen.add(key);
    if (seen.size > dedupeSize) seen.delete(seen.values().next().value!);
    if (known) return;
    try {
      onExposure?.(evaluation.exposure!, evaluation);
    } catch (error) {
      log('error', 'onExposure threw', error);
    }
    emit('exposure', unit, {
      experiment,
      variation,
      flag: flag || evaluation.key,
      attributes:
        exposureAttributes &&
        Object.fromEntries(
          exposureAttributes.filter((a) => attrs[a] !== undefined).map((a) => [a, attrs[a]]),
        ),
    });
  };

  // `scope` is a function so that the client's own evaluator follows setAttributes.
  const evaluator = (scope: () => EvaluationScope): FlagEvaluator => {
    function evaluate<T>(key: string, fallback?: T): EvaluationDetails<T> {
      try {
        const unit = scope();
        const result =
          ruleset &&
          evaluateFlag(ruleset, key, {
            attributes: unit.attributes,
            forcedValues,
            stickyBucketAssignments: unit.stickyBucketAssignments,
            onStickyBucketAssignment: saveDoc,
          });
        const value = fallback as T;
        if (!result) return failed(key, value, 'PROVIDER_NOT_READY', 'no ruleset yet');
        if (result.reason === 'FLAG_NOT_FOUND') return failed(key, value, 'FLAG_NOT_FOUND', 'unknown flag');
        if (result.reason === 'ERROR')
          return failed(key, value, 'PARSE_ERROR', result.errorMessage ?? 'bad flag');
        // No value at all (a disabled flag without default): serve the fallback, keep the reason.
        if (result.value == null && fallback != null) return { ...result, value } as EvaluationDetails<T>;
        if (!sameType(result.value, fallback))
          return failed(key, value, 'TYPE_MISMATCH', `not a ${typeof fallback}`);
        if (result.exposure) expose(result, unit.attributes);
        return result as EvaluationDetails<T>;
      } catch (error) {
        log('error', `evaluating "${key}" failed`, error);
        return failed(key, fallback as T, 'GENERAL', String(error));
      }
    }
    return {
      evaluate,
      isOn: (key) => evaluate(key).on === true,
      getValue: <T>(key: string, fallback: T) => evaluate(key, fallback).value as Widen<T>,
      track(event, value, properties) {
        try {
          const unit = scope().attributes[unitAttribute];
          if (unit == null || unit === '' || !event)
            return log('warn', `track("${event}") needs a "${unitAttribute}" attribute`);
          emit('track', String(unit), {
            event: String(event),
            value: Number.isFinite(value) ? value : undefined,
            properties,
          });
        } catch (error) {
          log('error', 'track failed', error);
        }
      },
    };
  };
  const forUser = (attrs: Attributes, opts?: { stickyBucketAssignments?: StickyAssignmentDocs }) => {
    const scope = { attributes: { ...attrs }, stickyBucketAssignments: opts?.stickyBucketAssignments };
    return evaluator(() => scope);
  };

  // The page may never come back: hand the queue to sendBeacon, which outlives it.
  const onHide = (event: Event) => {
    if (event.type === 'pagehide' || document.visibilityState === 'hidden') queue.beacon();
  };
  const listen = (method: 'addEventListener' | 'removeEventListener') => {
    if (typeof window !== 'undefined' && typeof document !== 'undefined') {
      document[method]('visibilitychange', onHide);
      window[method]('pagehide', onHide);
    }
  };
  listen('addEventListener');

  return {
    ...evaluator(() => ({ attributes, stickyBucketAssignments: ownDocs })),
    ready: ({ timeoutMs = 5000 } = {}) =>
      Promise.race([initial, sleep(timeoutMs).then(() => ({ source, error: 'timeout' }))]),
    setAttributes(next) {
      attributes = { ...next };
      ownDocs = undefined;
      void refreshOwnDocs();
    },
    forUser,
    forUserAsync: async (attrs) => forUser(attrs, { stickyBucketAssignments: await loadDocs(attrs) }),
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    flush: () => queue.flush().catch(() => {}),
    async close({ timeoutMs = 2000 } = {}) {
      if (closed) return;
      closed = true;
      sync.close();
      listeners.clear();
      listen('removeEventListener');
      await queue.close(timeoutMs).catch(() => {});
    },
    getPayload: () => ruleset?.payload,
    stats: () => ({ ...queue.stats(), source }),
  };
}
