import type {
  Attributes,
  Evaluation,
  EvaluationContext,
  Exposure,
  FeaturePayload,
  StickyAssignmentDocs,
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
  FlagEvaluator,
  ReadyStatus,
  RulesetSourceKind,
  SdkEvent,
  Widen,
} from './client-types.js';
import { createEventQueue } from './event-queue.js';
import { randomId } from './random-id.js';
import { defaultCache } from './ruleset-cache.js';
import { mergePatch, syncRuleset, type StreamConnector } from './ruleset-sync.js';
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
  /**
   * Stops the stream, polling and listeners at once, then flushes queued events while `timeoutMs`
   * (default 2 s) lasts; what is still unsent then is counted as dropped.
   */
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
  // Network and stores (cache, sticky buckets) failing are warnings; a bad payload, or the app's
  // callbacks throwing, are errors.
  // A logger that throws must not make the report itself a failure of the host app.
  const log = (level: 'warn' | 'error') => (what: string, detail?: unknown) => {
    try {
      logger[level](`flagstaff: ${what}`, detail);
    } catch {
      // nowhere left to report it
    }
  };
  const warn = log('warn');
  const fail = log('error');
  // The app's callbacks may be async (or return a thenable): a rejection is logged like a throw,
  // not left unhandled. Only callbacks' results reach `.catch`, never data (the attributes copy).
  const guard = (what: string, fn: () => unknown) => {
    try {
      (fn() as Promise<void> | undefined)?.catch?.((error) => fail(what, error));
    } catch (error) {
      fail(what, error);
    }
  };
  // Runs `fn` later, where a failing store (cache, sticky buckets) is only a warning; the promise
  // never rejects.
  const background = (what: string, fn: () => unknown) =>
    Promise.resolve()
      .then(fn)
      .catch((e) => warn(what, e));
  const api = createSdkApi(options);
  const queue = createEventQueue(options, api, warn);
  const listeners = new Set<() => void>();
  let ruleset: CompiledRuleset | undefined;
  let source: RulesetSourceKind = 'none';
  let applied = Promise.resolve();
  let closed = false;
  // The app's attributes, copied so that its later changes do not leak in; an object whose getters
  // throw (a proxy) is an app error, logged, and the unit has no attributes.
  const copy = (attributes?: Attributes) => {
    let attrs = {};
    guard('attributes', () => void (attrs = { ...attributes }));
    return attrs;
  };
  // What the engine evaluates a unit with; made once per unit, not per evaluation.
  const scopeOf = (
    attributes: Attributes | undefined,
    stickyBucketAssignments?: StickyAssignmentDocs,
  ): EvaluationContext => ({
    attributes: copy(attributes),
    stickyBucketAssignments,
    forcedValues,
    onStickyBucketAssignment:
      sticky && ((doc) => background('sticky bucket save', () => sticky.saveAssignments(doc))),
  });
  // The client's own unit; replaced, not changed, by setAttributes, so that documents loaded for
  // the previous attributes land in the scope they belong to.
  let own = scopeOf(options.attributes);

  // Sticky-bucket documents of a unit, for the attributes the current ruleset buckets sticky by.
  const loadDocs = async (attrs: Attributes) => {
    try {
      if (sticky && ruleset)
        return await loadStickyBucketAssignments(sticky, attrs, ruleset.stickyBucketAttributes, (e) =>
          warn('sticky bucket load', e),
        );
    } catch (error) {
      warn('sticky bucket load', error);
      return {};
    }
  };
  const refreshOwnDocs = async () => {
    const scope = own;
    scope.stickyBucketAssignments = await loadDocs(scope.attributes);
  };

  // Payloads are numbered as they arrive, so that one still being decrypted when a newer one was
  // put in use is dropped instead of replacing it (e.g. an encrypted cache entry by the network's).
  let arrived = 0;
  let inUse = 0;
  let usedText: string | undefined;
  const use = (payload: FeaturePayload, from: RulesetSourceKind, n: number, text?: string) => {
    // No features object (an empty 200 from a proxy, `[]`, a number): not a payload, and it must not
    // replace the ruleset in use with an empty one. `apply` reports it.
    if (typeof payload.features != 'object' || !payload.features) throw TypeError('no features');
    inUse = n;
    source = from;
    // The text in use again (the network confirming the cache entry): nothing to compile or announce.
    if (text && text === usedText) return;
    usedText = text;
    ruleset = compile(payload, { logger: warn, contextualBandits });
    void refreshOwnDocs();
    for (const listener of [...listeners]) guard('subscriber', listener);
    // Cache the text as served (still encrypted, if it was): the cache holds no plain rules.
    // Not awaited: a slow store must not hold back the next ruleset.
    if (cache && text && from !== 'cache') background('cache write', () => cache.set(cacheKey, text));
  };

  // A payload from any source; one that fails to parse or decrypt is logged and ignored (the
  // previous ruleset stays). A plain one is in use at once (a bootstrap, for the first render);
  // encrypted ones are decrypted in turn, so they apply in arrival order. An encrypted patch
  // (`base`) applies only onto the payload that arrived just before it (the stream's revision
  // `base`), and only if that one is in use; else the stream starts over for a whole ruleset.
  const apply = (input: string | FeaturePayload, from: RulesetSourceKind, n = ++arrived) => {
    const bad = (error: unknown) => {
      if (from === 'network') unusable = String(error);
      fail(`bad ${from} ruleset`, error);
    };
    try {
      let text = typeof input === 'string' ? input : undefined;
      const payload: FeaturePayload = text ? JSON.parse(text) : input;
      if (!payload.encryptedFeatures) return use(payload, from, n, text);
      applied = applied
        .then(async () => {
          let plain = decrypt && decryptionKey && (await decrypt(payload, decryptionKey));
          if ('base' in payload) {
            if (!plain || inUse !== n - 1) return sync.resync();
            const { payload: held } = ruleset!;
            plain = mergePatch({ ...held, features: { ...held.features } }, plain);
            text = undefined; // not a payload, to cache or compare
          }
          if (!plain)
            throw new Error('cannot decrypt: needs decrypt: decryptPayload and the right decryptionKey');
          if (!closed && n > inUse) use(plain, from, n, text);
        })
        .catch(bad);
    } catch (error) {
      bad(error);
    }
  };

  let unusable: string | undefined;
  const sync = syncRuleset(options, api, connect, apply, warn);
  if (bootstrap) apply(bootstrap, 'bootstrap');

  const initial: Promise<ReadyStatus> = (async () => {
    // The cache is read while the network loads (a store that hangs must not hold it up), numbered
    // first: it is older than anything the network gives. It matters to ready() only offline.
    const n = ++arrived;
    const cached =
      bootstrap ||
      background('cache read', () => cache?.get(cacheKey)).then(
        (text) => text && !ruleset && apply(text as string, 'cache', n),
      );
    const error = await sync.refresh();
    // Streaming starts now: it must not wait on a decryption, a sticky-bucket store or (after a
    // failed load) a cache store that hangs.
    sync.start();
    if (error) await cached;
    await applied;
    await refreshOwnDocs();
    // A network ruleset that arrived unusable (unreadable, undecryptable) is why, too.
    return { source, error: error ?? unusable };
  })().catch((error: unknown) => ({ source, error: String(error) }));

  const emit = (type: SdkEvent['type'], unit: string, fields: object) =>
    disableEvents || queue.push({ type, id: randomId(), ts: Date.now(), unit, ...fields } as SdkEvent);

  // One exposure event per (unit, experiment, variation) while remembered: a Set keeps insertion
  // order, so re-adding a key makes it the youngest and the oldest is evicted beyond `dedupeSize`.
  const seen = new Set<string>();
  const expose = (exposure: Exposure, evaluation: Evaluation, attrs: Attributes) => {
    const { unit, experiment, variation } = exposure;
    const key = `${unit}|${experiment}|${variation}`;
    const known = seen.delete(key);
    seen.add(key);
    if (seen.size > dedupeSize) seen.delete(seen.values().next().value!);
    if (known) return;
    guard('onExposure', () => onExposure?.(exposure, evaluation));
    emit('exposure', unit, {
      experiment,
      variation,
      flag: exposure.flag || evaluation.key,
      attributes:
        exposureAttributes &&
        Object.fromEntries(
          exposureAttributes.filter((a) => attrs[a] !== undefined).map((a) => [a, attrs[a]]),
        ),
    });
  };

  // `scope` is a function so that the client's own evaluator follows setAttributes.
  const evaluator = (scope: () => EvaluationContext): FlagEvaluator => {
    function evaluate<T>(key: string, fallback?: T): EvaluationDetails<T> {
      let errorCode: EvaluationErrorCode;
      let errorMessage: string | undefined;
      try {
        const context = scope();
        const result = ruleset && evaluateFlag(ruleset, key, context);
        const reason = result?.reason;
        if (!result) errorCode = 'PROVIDER_NOT_READY';
        else if (reason === 'FLAG_NOT_FOUND') errorCode = reason;
        else if (reason === 'ERROR') [errorCode, errorMessage] = ['GENERAL', result.errorMessage];
        // No value at all (a disabled flag without default): serve the fallback, keep the reason.
        else if (result.value == null && fallback != null)
          return { ...result, value: fallback } as EvaluationDetails<T>;
        else if (!sameType(result.value, fallback)) errorCode = 'TYPE_MISMATCH';
        else {
          // A prerequisite's or holdout's experiment put the unit in it too: those count as well.
          for (const exposure of [result.exposure, ...(result.otherExposures || [])])
            if (exposure) expose(exposure, result, context.attributes);
          return result as EvaluationDetails<T>;
        }
      } catch (error) {
        fail(`evaluating "${key}"`, error);
        [errorCode, errorMessage] = ['GENERAL', String(error)];
      }
      return {
        key,
        value: fallback as T,
        on: !!fallback,
        off: !fallback,
        reason: errorCode === 'FLAG_NOT_FOUND' ? errorCode : 'ERROR',
        errorCode,
        errorMessage,
      };
    }
    return {
      evaluate,
      isOn: (key) => evaluate(key).on,
      getValue: <T>(key: string, fallback: T) => evaluate(key, fallback).value as Widen<T>,
      track: (event, value, properties) =>
        guard('track', () => {
          const unit = scope().attributes[unitAttribute];
          if (unit == null || unit === '' || !event) warn(`track("${event}"): no "${unitAttribute}"`);
          else
            emit('track', String(unit), {
              event: String(event),
              value: Number.isFinite(value) ? value : undefined,
              properties,
            });
        }),
    };
  };
  const forUser = (attrs: Attributes, opts?: { stickyBucketAssignments?: StickyAssignmentDocs }) => {
    const scope = scopeOf(attrs, opts?.stickyBucketAssignments);
    return evaluator(() => scope);
  };

  // The page may never come back: hand the queue to sendBeacon, which outlives it.
  const onHide = (event: Event) => {
    if (event.type === 'pagehide' || document.visibilityState === 'hidden') queue.beacon();
  };
  const listen = (method: 'addEventListener' | 'removeEventListener') => {
    if (typeof document !== 'undefined') {
      document[method]('visibilitychange', onHide);
      window[method]('pagehide', onHide);
    }
  };
  listen('addEventListener');

  return {
    ...evaluator(() => own),
    ready: ({ timeoutMs = 5000 } = {}) =>
      Promise.race([initial, sleep(timeoutMs).then(() => ({ source, error: 'timeout' }))]),
    setAttributes(next) {
      own = scopeOf(next);
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
