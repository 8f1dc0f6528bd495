import type { EvaluationContext, JsonValue, Provider, ResolutionDetails } from '@openfeature/web-sdk';
import { FlagstaffProviderBase } from './provider-core.js';

/**
 * OpenFeature provider for `@openfeature/web-sdk` (browsers). Evaluates locally against the
 * client's ruleset for each call's context, logs exposures, forwards `track`, and emits
 * `PROVIDER_CONFIGURATION_CHANGED` when the ruleset changes.
 *
 * @example
 * import { OpenFeature } from '@openfeature/web-sdk';
 * import { FlagstaffWebProvider } from '@flagstaff/sdk/openfeature';
 *
 * await OpenFeature.setContext({ targetingKey: user.id, plan: 'pro' });
 * await OpenFeature.setProviderAndWait(new FlagstaffWebProvider({ apiHost, sdkKey: clientKey }));
 * const on = OpenFeature.getClient().getBooleanValue('new-checkout', false); // synchronous
 */
export class FlagstaffWebProvider extends FlagstaffProviderBase implements Provider {
  readonly runsOn = 'client' as const;
  readonly events = this.core.events as unknown as NonNullable<Provider['events']>;

  resolveBooleanEvaluation(key: string, fallback: boolean, context: EvaluationContext) {
    return this.core.resolve(key, fallback, context) as ResolutionDetails<boolean>;
  }

  resolveStringEvaluation(key: string, fallback: string, context: EvaluationContext) {
    return this.core.resolve(key, fallback, context) as ResolutionDetails<string>;
  }

  resolveNumberEvaluation(key: string, fallback: number, context: EvaluationContext) {
    return this.core.resolve(key, fallback, context) as ResolutionDetails<number>;
  }

  resolveObjectEvaluation<T extends JsonValue>(key: string, fallback: T, context: EvaluationContext) {
    return this.core.resolve(key, fallback, context) as ResolutionDetails<T>;
  }
}
