import type {
  Attributes,
  FeaturePayload,
  StickyAssignmentDocs,
  StickyAssignmentsDocument,
} from './core/types.js';
import { evaluate, loadStickyBucketAssignments } from './core/index.js';
import { unrefTimeout } from './backoff.js';
import type {
  ClientOptions,
  ClientPlatform,
  DeliveryStats,
  ReadyStatus,
  RulesetSourceKind,
} from './client-types.js';
import { createEventQueue } from './event-queue.js';
import { createExposureLogger } from './exposure-logger.js';
import { resolveConfig } from './resolve-config.js';
import { createRulesetLoader } from './ruleset-loader.js';
import { createRulesetSource } from './ruleset-source.js';
import { createEvaluator, type EvaluatorHost, type FlagEvaluator } from './user-evaluator.js';

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

/**
 * The client over a platform's stream connector and decryption: `createClient` of `@flagstaff/sdk`
 * (Node and browser entries) is this with the platform bound. No method throws into the host app.
 *
 * @example
 * const client = buildClient({ apiHost, sdkKey }, { connect: connectEventSource });
 */
export function buildClient(options: ClientOptions, platform: ClientPlatform): FlagstaffClient {
  const config = resolveConfig(options, platform);
  const { logger, stickyBucketService: sticky } = config;
  let attributes: Attributes = { ...config.attributes };
  let ownDocs: StickyAssignmentDocs | undefined;
  let closed = false;
  const loader = createRulesetLoader(config);
  const queue = createEventQueue(config);
  const network = createRulesetSource(config, (text, from) => void loader.apply(text, from));

  // Sticky-bucket documents of a unit, for the attributes the current ruleset buckets sticky by.
  const loadDocs = async (attrs: Attributes): Promise<StickyAssignmentDocs | undefined> => {
    const ruleset = loader.current;
    if (!sticky || !ruleset) return undefined;
    try {
      return await loadStickyBucketAssignments(sticky, attrs, ruleset.stickyBucketAttributes);
    } catch (error) {
      logger.error('flagstaff: sticky bucket load failed', error);
      return {};
    }
  };
  const refreshOwnDocs = async () => {
    const before = attributes;
    const docs = await loadDocs(before);
    if (attributes === before) ownDocs = docs;
  };

  const bootstrap = config.bootstrap;
  if (bootstrap && !bootstrap.encryptedFeatures) loader.useNow(bootstrap, 'bootstrap');
  else if (bootstrap) void loader.apply(JSON.stringify(bootstrap), 'bootstrap');
  loader.subscribe(() => void refreshOwnDocs());

  const initial: Promise<ReadyStatus> = (async () => {
    if (!bootstrap) await loader.loadCache();
    const error = closed ? 'closed' : await network.refresh();
    await loader.settled();
    if (sticky) await refreshOwnDocs();
    if (!closed) network.start();
    return error ? { source: loader.source, error } : { source: loader.source };
  })().catch((error: unknown) => ({ source: loader.source, error: String(error) }));

  const saveDoc =
    sticky &&
    ((doc: StickyAssignmentsDocument) =>
      void Promise.resolve()
        .then(() => sticky.saveAssignments(doc))
        .catch((error: unknown) => logger.error('flagstaff: sticky bucket save failed', error)));

  const host: EvaluatorHost = {
    run(key, scope) {
      const ruleset = loader.current;
      if (!ruleset) return undefined;
      return evaluate(ruleset, key, {
        attributes: scope.attributes,
        forcedValues: config.forcedValues,
        stickyBucketAssignments: scope.stickyBucketAssignments,
        onStickyBucketAssignment: saveDoc,
      });
    },
    emit: (event) => config.disableEvents || queue.push(event),
    expose: createExposureLogger(config, queue),
    unitAttribute: config.unitAttribute,
    logger,
  };
  const own = createEvaluator(host, () => ({ attributes, stickyBucketAssignments: ownDocs }));
  const forUser = (attrs: Attributes, opts?: { stickyBucketAssignments?: StickyAssignmentDocs }) => {
    const scope = { attributes: { ...attrs }, stickyBucketAssignments: opts?.stickyBucketAssignments };
    return createEvaluator(host, () => scope);
  };

  // The page may never come back: hand the queue to sendBeacon, which outlives it.
  const onHide = (event: Event) => {
    if (event.type === 'pagehide' || document.visibilityState === 'hidden') queue.beacon();
  };
  const page = typeof window !== 'undefined' && typeof document !== 'undefined';
  if (page) {
    document.addEventListener('visibilitychange', onHide);
    window.addEventListener('pagehide', onHide);
  }

  return {
    ...own,
    ready({ timeoutMs = 5000 } = {}) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<ReadyStatus>((resolve) => {
        timer = unrefTimeout(() => resolve({ source: loader.source, error: 'timeout' }), timeoutMs);
      });
      return Promise.race([initial, timeout]).finally(() => clearTimeout(timer));
    },
    setAttributes(next) {
      attributes = { ...next };
      ownDocs = undefined;
      void refreshOwnDocs();
    },
    forUser,
    async forUserAsync(attrs) {
      return forUser(attrs, { stickyBucketAssignments: await loadDocs(attrs) });
    },
    subscribe: (listener) => loader.subscribe(listener),
    flush: () => queue.flush().catch(() => {}),
    async close({ timeoutMs = 2000 } = {}) {
      if (closed) return;
      closed = true;
      network.close();
      loader.close();
      if (page) {
        document.removeEventListener('visibilitychange', onHide);
        window.removeEventListener('pagehide', onHide);
      }
      await queue.close(timeoutMs).catch(() => {});
    },
    getPayload: () => loader.current?.payload,
    stats: () => ({
      ...queue.stats(),
      source: loader.source,
    }),
  };
}
