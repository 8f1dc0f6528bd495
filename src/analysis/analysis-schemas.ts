// Response shapes of the results routes: the OpenAPI document's view of `ExperimentResults`.
import { z } from '@hono/zod-openapi';

const Num = z.number().nullable();
const Interval = z
  .tuple([Num, Num])
  .openapi({ description: '[lower, upper]; null = unbounded or unavailable' });
const Effect = z.object({ estimate: Num, se: Num, ci: Interval, pValue: Num });
const VerdictName = z.enum(['winning', 'losing', 'inconclusive']);

const Comparison = z.object({
  variation: z.string(),
  absolute: Effect,
  relative: Effect,
  chanceToWin: Num.optional().openapi({ description: 'Bayesian engine only' }),
  risk: Interval.optional().openapi({
    description: 'Bayesian engine only: expected loss [control, treatment]',
  }),
});

const Headline = z
  .object({
    effect: z.enum(['relative', 'absolute']).openapi({
      description:
        "The metric's `headlineEffect`; the other one when it cannot be formed (a control mean of 0)",
    }),
    estimate: Num,
    ci: Interval,
    pValue: Num.optional().openapi({ description: 'Frequentist engine (adjusted for goal metrics)' }),
    chanceToWin: Num.optional().openapi({ description: 'Bayesian engine' }),
    verdict: VerdictName,
    interval: z.enum(['always-valid', 'fixed-horizon', 'credible']).openapi({
      description:
        '`always-valid`: the sequential interval, valid at every look; `fixed-horizon`: valid at one planned look; `credible`: Bayesian',
    }),
  })
  .openapi('Headline', {
    description: 'The answer of a comparison; the absolute and relative details are beside it',
  });

const ReadComparison = Comparison.extend({
  headline: Headline,
  summary: z.string().openapi({
    description:
      'The headline in a sentence, e.g. "Treatment raised *checkout completed* by 39% (95% CI +12% to +66%), always-valid interval: improved, winning."; a breakdown\'s starts with "Among country = US, …"',
  }),
  significant: z.boolean(),
  verdict: VerdictName.openapi({ description: 'Direction-aware: winning means better for the metric' }),
});

const MetricResult = z.object({
  key: z.string(),
  name: z.string(),
  role: z.enum(['goal', 'secondary', 'guardrail']),
  kind: z.enum(['binomial', 'mean', 'count', 'ratio', 'retention', 'nps', 'repeat']),
  direction: z.enum(['higher', 'lower']),
  headlineEffect: z.enum(['relative', 'absolute']),
  correction: z.enum(['holm', 'benjamini-hochberg', 'none']).openapi({
    description:
      'Goal metrics are corrected together across metrics × variations; the others, and Bayesian results, are not corrected',
  }),
  cap: Num.openapi({ description: 'Cap applied to each unit’s value (capping), or null' }),
  variations: z.array(z.object({ key: z.string(), units: z.number().int(), sum: z.number(), mean: Num })),
  comparisons: z.array(ReadComparison),
});

const HealthCheck = z.object({
  check: z.enum(['srm', 'multiple_exposures', 'not_enough_data', 'unknown_variation']),
  status: z.enum(['ok', 'warning', 'unhealthy']),
  message: z.string(),
  details: z.record(z.string(), Num),
});

const SeriesPoint = z.object({
  day: z.number().int(),
  date: z.string().openapi({ description: 'End of the day: the point counts units first exposed before it' }),
  units: z.number().int(),
  comparisons: z.array(z.object({ variation: z.string(), estimate: Num, ci: Interval, pValue: Num })),
});

const PowerEstimate = z.object({
  metric: z.string(),
  variation: z.string(),
  targetRelativeEffect: z
    .number()
    .openapi({ description: "The plan's minimum detectable effect, or the default" }),
  targetSource: z.enum(['plan', 'default']),
  targetPower: z.number(),
  currentRelativeMde: Num,
  requiredControlUnits: Num,
  controlUnitsPerDay: Num,
  daysLeft: Num.openapi({
    description: 'null once the comparison is decisive, or without traffic (see reason)',
  }),
  reason: z.string().nullable(),
});

const Decision = z
  .object({
    status: z.enum(['ship', 'rollback', 'keep-running', 'unhealthy', 'no-data']),
    reason: z.string(),
    variation: z
      .string()
      .nullable()
      .openapi({ description: 'The variation to ship, or the one that regressed' }),
  })
  .openapi('ExperimentDecision', { description: 'Rule: docs/decisions/0010-experiment-decision.md' });

export const ResolvedSettings = z
  .object({
    alpha: z.number(),
    sided: z.enum(['two', 'greater', 'less']),
    engine: z.enum(['frequentist', 'bayesian']),
    sequential: z.boolean(),
    sequentialTuning: z.number(),
    cuped: z.boolean(),
    correction: z.enum(['holm', 'benjamini-hochberg', 'none']),
    prior: z.object({ mean: z.number(), variance: z.number() }).nullable(),
  })
  .openapi('ResolvedAnalysisSettings', {
    description: 'The settings the analysis used, every default filled in (the same defaults everywhere)',
  });

const BreakdownValue = z.object({
  value: z.string(),
  units: z.number().int(),
  metrics: z.array(
    z.object({
      key: z.string(),
      variations: z.array(z.object({ key: z.string(), units: z.number().int(), mean: Num })),
      comparisons: z.array(ReadComparison),
    }),
  ),
});

export const ExperimentResults = z
  .object({
    snapshotId: z.number().int(),
    computedAt: z.string().openapi({ format: 'date-time' }),
    experiment: z.object({ key: z.string(), status: z.string() }),
    phase: z.object({ number: z.number().int(), startedAt: z.string(), endedAt: z.string().nullable() }),
    window: z.object({ start: z.string(), end: z.string() }),
    settings: ResolvedSettings.extend({
      interval: z.enum(['always-valid', 'fixed-horizon', 'credible']),
      sequentialTuningSource: z.enum(['plan', 'explicit', 'default']).nullable().openapi({
        description: "Where N* came from (the start's planning); null for experiments started before plans",
      }),
    }),
    decision: Decision,
    units: z.object({
      total: z.number().int(),
      analysed: z.number().int(),
      perVariation: z.array(z.object({ key: z.string(), units: z.number().int(), weight: z.number() })),
    }),
    health: z.object({ healthy: z.boolean(), checks: z.array(HealthCheck) }),
    metrics: z.array(MetricResult),
    series: z.array(z.object({ metric: z.string(), points: z.array(SeriesPoint) })),
    power: z.array(PowerEstimate),
    breakdowns: z.object({
      caveat: z.string(),
      dimensions: z.array(
        z.object({ dimension: z.string(), cardinality: z.number().int(), values: z.array(BreakdownValue) }),
      ),
    }),
  })
  .openapi('ExperimentResults');
