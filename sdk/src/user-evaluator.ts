import type { Attributes, Evaluation, StickyAssignmentDocs } from './core/types.js';
import type { Logger, SdkEvent } from './client-types.js';
import { randomId } from './random-id.js';

/**
 * Why a typed read fell back, in OpenFeature's vocabulary.
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

/**
 * The unit an evaluator evaluates for.
 *
 * @example
 * createEvaluator(host, () => ({ attributes: { id: 'u1' }, stickyBucketAssignments: docs }));
 */
export interface EvaluationScope {
  attributes: Attributes;
  /** Preloaded sticky-bucket documents; absent = no sticky bucketing for this unit. */
  stickyBucketAssignments?: StickyAssignmentDocs;
}

/**
 * What evaluators share with their client (internal).
 *
 * @example
 * const host: EvaluatorHost = { run, expose, emit, unitAttribute: 'id', logger: console };
 */
export interface EvaluatorHost {
  /** Runs the engine; may throw (the evaluator guards). */
  run(key: string, scope: EvaluationScope): Evaluation | undefined;
  /** Queues an event, or `undefined` when events are off. */
  emit(event: SdkEvent): void;
  /** Logs the evaluation's exposure, unless already logged for this unit and variation. */
  expose(evaluation: Evaluation, attributes: Attributes): void;
  unitAttribute: string;
  logger: Logger;
}

const sameType = (value: unknown, fallback: unknown) =>
  fallback == null ||
  (typeof value === typeof fallback && Array.isArray(value) === Array.isArray(fallback) && value !== null);

const failed = <T>(key: string, fallback: T, errorCode: EvaluationErrorCode, errorMessage: string) => ({
  key,
  value: fallback,
  on: !!fallback,
  off: !fallback,
  reason: errorCode === 'FLAG_NOT_FOUND' ? ('FLAG_NOT_FOUND' as const) : ('ERROR' as const),
  errorCode,
  errorMessage,
});

/**
 * Builds a {@link FlagEvaluator} over `scope()` (a function so the client's own evaluator sees
 * `setAttributes` without rebuilding). Never throws.
 *
 * @example
 * const evaluator = createEvaluator(host, () => ({ attributes: { id: 'u1' } }));
 */
export function createEvaluator(host: EvaluatorHost, scope: () => EvaluationScope): FlagEvaluator {
  function evaluate<T>(key: string, fallback?: T): EvaluationDetails<T> {
    try {
      const unit = scope();
      const result = host.run(key, unit);
      if (!result) return failed(key, fallback as T, 'PROVIDER_NOT_READY', 'no ruleset yet');
      if (result.reason === 'FLAG_NOT_FOUND')
        return failed(key, fallback as T, 'FLAG_NOT_FOUND', 'unknown flag');
      if (result.reason === 'ERROR') {
        return failed(key, fallback as T, 'PARSE_ERROR', result.errorMessage ?? 'bad flag definition');
      }
      // No value at all (a disabled flag without default): serve the fallback, keep the reason.
      if (result.value == null && fallback != null)
        return { ...result, value: fallback } as EvaluationDetails<T>;
      if (!sameType(result.value, fallback)) {
        return failed(key, fallback as T, 'TYPE_MISMATCH', `value is not a ${typeof fallback}`);
      }
      if (result.exposure) host.expose(result, unit.attributes);
      return result as EvaluationDetails<T>;
    } catch (error) {
      host.logger.error(`flagstaff: evaluating "${key}" failed`, error);
      return failed(key, fallback as T, 'GENERAL', String(error));
    }
  }

  return {
    evaluate,
    isOn: (key) => evaluate(key).on === true,
    getValue: <T>(key: string, fallback: T) => evaluate(key, fallback).value as Widen<T>,
    track(event, value, properties) {
      try {
        const unit = scope().attributes[host.unitAttribute];
        if (unit == null || unit === '' || !event) {
          host.logger.warn(`flagstaff: track("${event}") needs a "${host.unitAttribute}" attribute`);
          return;
        }
        const sdkEvent: SdkEvent = {
          type: 'track',
          id: randomId(),
          ts: Date.now(),
          unit: String(unit),
          event: String(event),
        };
        if (typeof value === 'number' && Number.isFinite(value)) sdkEvent.value = value;
        if (properties) sdkEvent.properties = properties;
        host.emit(sdkEvent);
      } catch (error) {
        host.logger.error('flagstaff: track failed', error);
      }
    },
  };
}
