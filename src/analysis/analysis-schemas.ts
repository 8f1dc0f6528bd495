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

const MetricResult = z.object({
  key: z.string(),
  name: z.string(),
  role: z.enum(['goal', 'secondary', 'guardrail']),
  kind: z.enum(['binomial', 'mean', 'count', 'ratio', 'retention']),
  direction: z.enum(['higher', 'lower']),
  correction: z.enum(['holm', 'benjamini-hochberg', 'none']).openapi({
    description:
      'Goal metrics are corrected together across metrics × variations; the others, and Bayesian results, are not corrected',
  }),
  cap: Num.openapi({ description: 'Cap applied to each unit’s value (capping), or null' }),
  variations: z.array(z.object({ key: z.string(), units: z.number().int(), sum: z.number(), mean: Num })),
  comparisons: z.array(
    Comparison.extend({
      significant: z.boolean(),
      verdict: VerdictName.openapi({ description: 'Direction-aware: winning means better for the metric' }),
    }),
  ),
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
  targetRelativeEffect: z.number(),
  currentRelativeMde: Num,
  requiredControlUnits: Num,
  controlUnitsPerDay: Num,
  daysLeft: Num,
});

const BreakdownValue = z.object({
  value: z.string(),
  units: z.number().int(),
  metrics: z.array(
    z.object({
      key: z.string(),
      variations: z.array(z.object({ key: z.string(), units: z.number().int(), mean: Num })),
      comparisons: z.array(Comparison.extend({ verdict: VerdictName })),
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
    settings: z.record(z.string(), z.unknown()),
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
