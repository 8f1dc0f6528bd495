import type { ClientOptions } from '../client-types.js';
// '#create-client' is the browser client under the `browser` condition (package.json "imports"),
// so a page using the web provider does not ship the Node stream reader.
import { createClient, type FlagstaffClient } from '#create-client';
import { ProviderEventEmitter } from './provider-events.js';
import { toAttributes, toResolution, toTrack, type Resolution } from './resolution.js';

/**
 * Options shared by the Flagstaff OpenFeature providers.
 *
 * @example
 * new FlagstaffServerProvider({ apiHost, sdkKey }, { readyTimeoutMs: 2000 });
 */
export interface FlagstaffProviderOptions {
  /** How long `initialize` waits for the first ruleset (default 5 s). */
  readyTimeoutMs?: number;
}

/**
 * What the server and web providers share: the client, readiness, events, resolution and
 * tracking. The providers only adapt it to each SDK's interface (async vs sync resolvers).
 *
 * @example
 * const core = new ProviderCore({ apiHost, sdkKey });
 * await core.initialize();
 * core.resolve('checkout', false, { targetingKey: 'u1' });
 */
export class ProviderCore {
  readonly client: FlagstaffClient;
  readonly events = new ProviderEventEmitter();
  private readonly owned: boolean;
  private readonly readyTimeoutMs: number;
  private unsubscribe: (() => void) | undefined;
  private notReady = false;

  constructor(client: FlagstaffClient | ClientOptions, options: FlagstaffProviderOptions = {}) {
    this.owned = !('forUser' in client);
    this.client = 'forUser' in client ? client : createClient(client);
    this.readyTimeoutMs = options.readyTimeoutMs ?? 5000;
  }

  async initialize(): Promise<void> {
    this.unsubscribe ??= this.client.subscribe(() => {
      // A provider whose initialize failed becomes usable with its first ruleset: say READY then.
      this.events.emit(this.notReady ? 'PROVIDER_READY' : 'PROVIDER_CONFIGURATION_CHANGED', {});
      this.notReady = false;
    });
    const status = await this.client.ready({ timeoutMs: this.readyTimeoutMs });
    if (status.source === 'none') {
      this.notReady = true;
      throw new Error(`flagstaff: no ruleset available (${status.error ?? 'unknown'})`);
    }
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.owned) await this.client.close();
  }

  resolve<T>(key: string, fallback: T, context: Record<string, unknown> | undefined): Resolution<T> {
    const resolution = toResolution(this.client.forUser(toAttributes(context)).evaluate(key, fallback));
    // A flag without rules serves one value to everyone: OpenFeature calls that STATIC.
    if (resolution.reason === 'DEFAULT' && this.client.getPayload()?.features?.[key]?.rules?.length === 0) {
      resolution.reason = 'STATIC';
    }
    return resolution;
  }

  track(name: string, context: Record<string, unknown> | undefined, details?: Record<string, unknown>): void {
    const [value, properties] = toTrack(details);
    this.client.forUser(toAttributes(context)).track(name, value, properties);
  }
}

/**
 * The surface both providers share with OpenFeature: metadata, readiness, closing, tracking and
 * the client. Each provider adds its `runsOn`, its typed `events` and its (async or sync) resolvers.
 *
 * @example
 * class MyProvider extends FlagstaffProviderBase { readonly runsOn = 'server' as const; ... }
 */
export abstract class FlagstaffProviderBase {
  readonly metadata = { name: 'Flagstaff' } as const;
  readonly hooks = [];
  protected readonly core: ProviderCore;

  /** Takes an existing client (left open on close) or options for one it owns. */
  constructor(client: FlagstaffClient | ClientOptions, options?: FlagstaffProviderOptions) {
    this.core = new ProviderCore(client, options);
  }

  /** The underlying client, e.g. for `stats()` or `flush()`. */
  get client(): FlagstaffClient {
    return this.core.client;
  }

  initialize(): Promise<void> {
    return this.core.initialize();
  }

  onClose(): Promise<void> {
    return this.core.close();
  }

  track(name: string, context: Record<string, unknown> | undefined, details?: Record<string, unknown>): void {
    this.core.track(name, context, details);
  }
}
