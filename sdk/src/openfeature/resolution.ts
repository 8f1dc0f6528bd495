import type { Attributes } from '../core/types.js';
import type { EvaluationDetails } from '../client-types.js';

/**
 * OpenFeature's resolution shape, structurally (so this module imports no OpenFeature package).
 *
 * @example
 * const r: Resolution<boolean> = { value: true, reason: 'SPLIT', variant: 'treatment', flagMetadata: {} };
 */
export interface Resolution<T> {
  value: T;
  variant?: string;
  reason: string;
  errorCode?: string;
  errorMessage?: string;
  flagMetadata: Record<string, string | number | boolean>;
}

// Engine reasons that OpenFeature names differently; the others (DEFAULT, DISABLED,
// TARGETING_MATCH, SPLIT, ERROR) are already standard, and PREREQUISITE_FAILED stays as a custom
// reason, which OpenFeature allows.
const REASONS: Record<string, string> = {
  OVERRIDE: 'STATIC',
  FLAG_NOT_FOUND: 'ERROR',
  CYCLIC_PREREQUISITE: 'ERROR',
};

/**
 * Maps a client evaluation onto an OpenFeature resolution: reason, variant (the variation key),
 * error code and flag metadata (`ruleId`, `variationId`, `experiment`).
 *
 * @example
 * toResolution(client.forUser({ id: 'u1' }).evaluate('checkout', false));
 * // { value: true, reason: 'SPLIT', variant: 'treatment', flagMetadata: { ruleId: 'r1', ... } }
 */
export function toResolution<T>(details: EvaluationDetails<T>): Resolution<T> {
  const flagMetadata: Resolution<T>['flagMetadata'] = {};
  if (details.ruleId) flagMetadata.ruleId = details.ruleId;
  if (details.variationId !== undefined) flagMetadata.variationId = details.variationId;
  if (details.exposure) flagMetadata.experiment = details.exposure.experiment;
  const resolution: Resolution<T> = {
    value: details.value,
    reason: REASONS[details.reason] ?? details.reason,
    flagMetadata,
  };
  if (details.variationKey !== undefined) resolution.variant = details.variationKey;
  const errorCode = details.errorCode ?? (details.reason === 'CYCLIC_PREREQUISITE' ? 'GENERAL' : undefined);
  if (errorCode) {
    resolution.errorCode = errorCode;
    resolution.errorMessage = details.errorMessage ?? errorCode;
  }
  return resolution;
}

/**
 * OpenFeature evaluation context → Flagstaff attributes: `targetingKey` becomes `id` (the
 * default hash attribute); everything else passes through.
 *
 * @example
 * toAttributes({ targetingKey: 'u1', country: 'NL' }); // { id: 'u1', country: 'NL' }
 */
export function toAttributes(context: Record<string, unknown> | undefined): Attributes {
  if (!context) return {};
  const { targetingKey, ...rest } = context;
  return targetingKey === undefined || targetingKey === '' ? rest : { ...rest, id: targetingKey };
}

/**
 * Splits OpenFeature tracking details into `track()` arguments.
 *
 * @example
 * toTrack({ value: 9.99, currency: 'EUR' }); // [9.99, { currency: 'EUR' }]
 */
export function toTrack(
  details: Record<string, unknown> | undefined,
): [number | undefined, Record<string, unknown> | undefined] {
  if (!details) return [undefined, undefined];
  const { value, ...properties } = details;
  return [
    typeof value === 'number' ? value : undefined,
    Object.keys(properties).length ? properties : undefined,
  ];
}
