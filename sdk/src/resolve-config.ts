import type { ClientConfig, ClientOptions, ClientPlatform, EventSourceConstructor } from './client-types.js';
import { defaultCache } from './ruleset-cache.js';

/**
 * Fills in the defaults of {@link ClientOptions} once, so the client's parts share one object
 * instead of each re-deriving its settings. Options given as `undefined` keep the default.
 *
 * @example
 * resolveConfig({ apiHost: 'https://flags.example.com', sdkKey: 'k' }, platform).pollIntervalMs; // 30000
 */
export function resolveConfig(options: ClientOptions, platform: ClientPlatform): ClientConfig {
  const config: ClientConfig = {
    ...platform,
    apiHost: '',
    sdkKey: '',
    fetch: (input, init) => globalThis.fetch(input, init),
    logger: console,
    attributes: {},
    streaming: true,
    pollIntervalMs: 30_000,
    flushIntervalMs: 5000,
    maxBatchSize: 100,
    maxQueueSize: 10_000,
    dedupeSize: 10_000,
    retryBaseMs: 1000,
    retryMaxMs: 60_000,
    streamIdleTimeoutMs: 90_000,
    unitAttribute: 'id',
    // Node 22+ has an EventSource too, but over fetch the key can travel in a header: pages only.
    EventSource:
      typeof window !== 'undefined' ? (globalThis.EventSource as EventSourceConstructor) : undefined,
  };
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  config.apiHost = String(config.apiHost).replace(/\/+$/, '');
  config.cache = options?.cache === false ? undefined : (options?.cache ?? defaultCache());
  return config;
}
