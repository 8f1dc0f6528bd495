import type { FeaturePayload } from './core/types.js';
import { compile, type CompiledRuleset } from './core/index.js';
import type { ClientConfig, RulesetSourceKind } from './client-types.js';

/**
 * Holds the compiled ruleset in use and tells subscribers when it changes.
 *
 * @example
 * loader.subscribe(() => render());
 * await loader.apply(text, 'stream');
 */
export interface RulesetLoader {
  readonly current: CompiledRuleset | undefined;
  readonly source: RulesetSourceKind;
  /** Compiles synchronously (a plain bootstrap), so the first render already sees real values. */
  useNow(payload: FeaturePayload, from: RulesetSourceKind): void;
  /** Parses, decrypts and compiles payload text; applies in call order; never rejects. */
  apply(text: string, from: RulesetSourceKind): Promise<void>;
  /** Resolves once every payload given so far is applied (or rejected). */
  settled(): Promise<void>;
  /** Loads the cached payload text, if any and no ruleset is in use yet. */
  loadCache(): Promise<void>;
  subscribe(listener: () => void): () => void;
  close(): void;
}

/**
 * The ruleset side of the client: payload text in (network, stream, cache, bootstrap), compiled
 * ruleset out, in arrival order even though decryption is asynchronous. A payload that fails to
 * parse or decrypt is logged and ignored: the previous ruleset stays in use.
 *
 * @example
 * const loader = createRulesetLoader(resolveConfig({ apiHost, sdkKey }));
 * await loader.apply('{"features":{"f":{"defaultValue":true}}}', 'network');
 * loader.current; // the compiled ruleset
 */
export function createRulesetLoader(config: ClientConfig): RulesetLoader {
  const { logger, cache } = config;
  const cacheKey = `flagstaff:${config.sdkKey}`;
  const listeners = new Set<() => void>();
  let current: CompiledRuleset | undefined;
  let source: RulesetSourceKind = 'none';
  let queue = Promise.resolve();
  let closed = false;

  const useNow = (payload: FeaturePayload, from: RulesetSourceKind) => {
    current = compile(payload, {
      logger: (message, issue) => logger.warn(`flagstaff: ${message}`, issue),
      contextualBandits: config.contextualBandits,
    });
    source = from;
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch (error) {
        logger.error('flagstaff: subscriber threw', error);
      }
    }
  };

  const apply = (text: string, from: RulesetSourceKind) =>
    (queue = queue.then(async () => {
      try {
        let payload = JSON.parse(text) as FeaturePayload;
        if (payload.encryptedFeatures) {
          if (!config.decryptionKey || !config.decrypt)
            throw new Error('the payload is encrypted: pass decryptionKey and decrypt: decryptPayload');
          const plain = await config.decrypt(payload, config.decryptionKey);
          if (!plain) throw new Error('the payload could not be decrypted (wrong decryptionKey?)');
          payload = plain;
        }
        if (closed) return;
        useNow(payload, from);
        // Cache the text as served (still encrypted, if it was): the cache holds no plain rules.
        // Not awaited: a slow store must not hold back the next ruleset.
        if (cache && (from === 'network' || from === 'stream')) {
          Promise.resolve()
            .then(() => cache.set(cacheKey, text))
            .catch((error: unknown) => logger.warn('flagstaff: cache write failed', error));
        }
      } catch (error) {
        logger.error(`flagstaff: bad ${from} ruleset`, error);
      }
    }));

  return {
    get current() {
      return current;
    },
    get source() {
      return source;
    },
    useNow(payload, from) {
      try {
        useNow(payload, from);
      } catch (error) {
        logger.error(`flagstaff: bad ${from} ruleset`, error);
      }
    },
    apply,
    settled: () => queue,
    async loadCache() {
      try {
        const text = await cache?.get(cacheKey);
        if (text && !current) await apply(text, 'cache');
      } catch (error) {
        logger.warn('flagstaff: cache read failed', error);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close() {
      closed = true;
      listeners.clear();
    },
  };
}
