import type {
  EvaluationContext,
  JsonValue,
  Provider,
  ResolutionDetails,
  TrackingEventDetails,
} from '@openfeature/server-sdk';
import type { ClientOptions } from '../client-types.js';
import type { FlagstaffClient } from '../create-client.js';
import { ProviderCore, type FlagstaffProviderOptions } from './provider-core.js';

/**
 * OpenFeature provider for `@openfeature/server-sdk` (Node). Evaluates locally against the
 * client's ruleset for each call's context, logs exposures, forwards `track`, and emits
 * `PROVIDER_CONFIGURATION_CHANGED` when the ruleset changes.
 *
 * @example
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { FlagstaffServerProvider } from '@flagstaff/sdk/openfeature';
 *
 * await OpenFeature.setProviderAndWait(new FlagstaffServerProvider({ apiHost, sdkKey }));
 * const flags = OpenFeature.getClient();
 * const on = await flags.getBooleanValue('new-checkout', false, { targetingKey: user.id });
 */
export class FlagstaffServerProvider implements Provider {
  readonly metadata = { name: 'Flagstaff' } as const;
  readonly runsOn = 'server' as const;
  readonly hooks = [];
  private readonly core: ProviderCore;
  readonly events: NonNullable<Provider['events']>;

  /** Takes an existing client (left open on close) or options for one it owns. */
  constructor(client: FlagstaffClient | ClientOptions, options?: FlagstaffProviderOptions) {
    this.core = new ProviderCore(client, options);
    this.events = this.core.events as unknown as NonNullable<Provider['events']>;
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

  track(name: string, context: EvaluationContext, details: TrackingEventDetails): void {
    this.core.track(name, context, details);
  }

  async resolveBooleanEvaluation(key: string, fallback: boolean, context: EvaluationContext) {
    return this.core.resolve(key, fallback, context) as ResolutionDetails<boolean>;
  }

  async resolveStringEvaluation(key: string, fallback: string, context: EvaluationContext) {
    return this.core.resolve(key, fallback, context) as ResolutionDetails<string>;
  }

  async resolveNumberEvaluation(key: string, fallback: number, context: EvaluationContext) {
    return this.core.resolve(key, fallback, context) as ResolutionDetails<number>;
  }

  async resolveObjectEvaluation<T extends JsonValue>(key: string, fallback: T, context: EvaluationContext) {
    return this.core.resolve(key, fallback, context) as ResolutionDetails<T>;
  }
}
