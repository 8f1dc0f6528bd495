import type { EvaluationContext, JsonValue, Provider, ResolutionDetails } from '@openfeature/server-sdk';
import { FlagstaffProviderBase } from './provider-core.js';

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
export class FlagstaffServerProvider extends FlagstaffProviderBase implements Provider {
  readonly runsOn = 'server' as const;
  readonly events = this.core.events as unknown as NonNullable<Provider['events']>;

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
