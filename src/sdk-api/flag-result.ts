import type { Evaluation } from '@flagstaff/sdk/core';

/** The part of an Evaluation that leaves the service: no rule internals. */
export function flagResult(evaluation: Evaluation) {
  return {
    value: evaluation.value,
    on: evaluation.on,
    reason: evaluation.reason,
    ...(evaluation.ruleId === undefined ? {} : { ruleId: evaluation.ruleId }),
    ...(evaluation.variationId === undefined ? {} : { variationId: evaluation.variationId }),
    ...(evaluation.variationKey === undefined ? {} : { variationKey: evaluation.variationKey }),
    ...(evaluation.exposure === undefined ? {} : { exposure: evaluation.exposure }),
  };
}
