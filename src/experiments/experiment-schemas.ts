import { z } from '@hono/zod-openapi';
import { ExperimentVariation } from '../flags/flag-schemas.ts';
import { Name, Slug, NullableTimestamp, Timestamp } from '../http/schemas.ts';
import { ANALYSIS_DEFAULTS as D } from '../stats/index.ts';

/** Short enough that the rule ids `exp_<key>` and `ship_<key>` stay within 64 characters. */
export const ExperimentKey = Slug.max(59);

export const ExperimentStatus = z.enum(['draft', 'running', 'stopped', 'shipped', 'abandoned']);

export const Prior = z
  .strictObject({
    mean: z.number().openapi({ description: 'Prior mean of the relative effect (0.02 = +2 %)' }),
    variance: z.number().positive().openapi({ description: 'Prior variance of the relative effect' }),
  })
  .openapi('Prior');

const settingsShape = {
  alpha: z.number().gt(0).lt(0.5),
  sided: z.enum(['two', 'greater', 'less']),
  engine: z.enum(['frequentist', 'bayesian']),
  sequential: z.boolean().openapi({
    description: 'Always-valid (peeking-safe) intervals: valid at every look, as results refresh all day',
  }),
  sequentialTuning: z
    .number()
    .positive()
    .nullable()
    .openapi({
      description:
        'N* of the confidence sequence (total units where it is tightest). null: set when the experiment starts, ' +
        `to the plan's sample size (or ${D.sequentialTuning} without a plan or a baseline); fixed once started`,
    }),
  cuped: z.boolean(),
  correction: z.enum(['holm', 'benjamini-hochberg', 'none']),
  prior: Prior.nullable().openapi({ description: 'Bayesian engine only; null = flat prior' }),
};

/** Defaults: ANALYSIS_DEFAULTS, shared with /api/v1/analyze and rollout guardrails. */
export const ExperimentSettings = z
  .strictObject({
    alpha: settingsShape.alpha.default(D.alpha),
    sided: settingsShape.sided.default(D.sided),
    engine: settingsShape.engine.default(D.engine),
    sequential: settingsShape.sequential.default(D.sequential),
    sequentialTuning: settingsShape.sequentialTuning.default(null),
    cuped: settingsShape.cuped.default(D.cuped),
    correction: settingsShape.correction.default(D.correction),
    prior: settingsShape.prior.default(D.prior),
  })
  .openapi('ExperimentSettings');

/** A change of some settings; the others keep their values. */
export const ExperimentSettingsPatch = z
  .strictObject({
    alpha: settingsShape.alpha.optional(),
    sided: settingsShape.sided.optional(),
    engine: settingsShape.engine.optional(),
    sequential: settingsShape.sequential.optional(),
    sequentialTuning: settingsShape.sequentialTuning.optional().openapi({ description: 'Draft only' }),
    cuped: settingsShape.cuped.optional(),
    correction: settingsShape.correction.optional(),
    prior: settingsShape.prior.optional(),
  })
  .openapi('ExperimentSettingsPatch');

const Mde = z.number().gt(0).max(10);
const planShape = {
  minimumDetectableEffect: z.union([Mde, z.record(Slug, Mde)]).openapi({
    description:
      'The smallest relative effect worth detecting (0.05 = 5%): one for every goal metric, or by goal metric key',
  }),
  power: z
    .number()
    .gt(0)
    .lt(1)
    .openapi({ description: `Power wanted at that effect; default ${D.power}` }),
  expectedUnitsPerDay: z
    .number()
    .positive()
    .nullable()
    .openapi({ description: 'Units expected per day across the experiment, for the planned duration' }),
};

export const ExperimentPlan = z
  .strictObject({
    minimumDetectableEffect: planShape.minimumDetectableEffect,
    power: planShape.power.default(D.power),
    expectedUnitsPerDay: planShape.expectedUnitsPerDay.default(null),
  })
  .openapi('ExperimentPlan', {
    description:
      "What the experiment is planned for. At the start the service measures each goal metric's baseline over " +
      'its pre-period and sets `settings.sequentialTuning` (when null) to the planned sample size',
  });

export const MetricPlanning = z
  .object({
    metric: z.string(),
    minimumDetectableEffect: z.number(),
    baseline: z
      .object({ units: z.number().int(), mean: z.number(), variance: z.number() })
      .nullable()
      .openapi({ description: 'The metric over its pre-period before the start; null without events' }),
    plannedUnits: z.number().int().nullable().openapi({
      description:
        'Units in the control and the treatment together that reach the power; null without a baseline',
    }),
  })
  .openapi('MetricPlanning');

export const ExperimentPlanning = z
  .object({
    derivedAt: Timestamp,
    sequentialTuning: z.number(),
    source: z.enum(['plan', 'explicit', 'default']).openapi({
      description:
        '`plan`: the planned sample size; `explicit`: set in the settings; `default`: no plan or baseline',
    }),
    reason: z.string(),
    plannedUnits: z.number().int().nullable().openapi({ description: 'Units across all variations' }),
    plannedDays: z.number().nullable().openapi({ description: 'From `expectedUnitsPerDay`, when given' }),
    metrics: z.array(MetricPlanning),
  })
  .openapi('ExperimentPlanning', { description: 'What the start derived from the plan; fixed from then on' });

const MetricKeys = (role: string) =>
  z
    .array(Slug)
    .max(20)
    .openapi({
      description: `Keys of the ${role} metrics, in order; a metric has one role (in one of goalMetrics, secondaryMetrics, guardrailMetrics)`,
    });

const Variations = z
  .array(ExperimentVariation)
  .min(2)
  .max(20)
  .openapi({ description: 'The first is the control; values must match the flag type; weights add up to 1' });
const Coverage = z.number().gt(0).max(1).openapi({ description: 'Share of units in the experiment' });
const HashAttribute = z.string().min(1).max(100);

export const CreateExperiment = z
  .strictObject({
    key: ExperimentKey,
    name: Name,
    hypothesis: z.string().max(5000).default(''),
    flag: Slug.openapi({ description: 'Key of the flag whose values the variations serve' }),
    environment: Slug,
    variations: Variations,
    coverage: Coverage.default(1),
    hashAttribute: HashAttribute.default('id'),
    goalMetrics: MetricKeys('goal').default([]),
    secondaryMetrics: MetricKeys('secondary').default([]),
    guardrailMetrics: MetricKeys('guardrail').default([]),
    settings: ExperimentSettings.prefault({}),
    plan: ExperimentPlan.nullable().default(null),
  })
  .openapi('CreateExperiment');

export const UpdateExperiment = z
  .strictObject({
    name: Name.optional(),
    hypothesis: z.string().max(5000).optional(),
    goalMetrics: MetricKeys('goal').optional(),
    secondaryMetrics: MetricKeys('secondary').optional(),
    guardrailMetrics: MetricKeys('guardrail').optional(),
    settings: ExperimentSettingsPatch.optional(),
    plan: ExperimentPlan.nullable().optional().openapi({
      description: 'Changes the power estimates anytime; the sequential tuning stays what the start set',
    }),
    variations: Variations.optional().openapi({
      description:
        'Draft: anything. Running: only the weights may change (same keys and values), which starts a new phase',
    }),
    coverage: Coverage.optional().openapi({ description: 'Changing it while running starts a new phase' }),
    hashAttribute: HashAttribute.optional().openapi({ description: 'Draft only' }),
    flag: Slug.optional().openapi({ description: 'Draft only' }),
    environment: Slug.optional().openapi({ description: 'Draft only' }),
  })
  .openapi('UpdateExperiment');

export const ShipExperiment = z
  .strictObject({
    variation: z.string().min(1).max(64).openapi({ description: 'Key of the variation to ship' }),
    via: z.enum(['rule']).default('rule').openapi({
      description: '`rule`: a force rule at the top of the environment config (ramps will follow)',
    }),
  })
  .openapi('ShipExperiment');

export const ExperimentPhase = z
  .object({
    number: z.number().int(),
    startedAt: Timestamp,
    endedAt: NullableTimestamp,
    weights: z.array(z.number()),
    coverage: z.number(),
  })
  .openapi('ExperimentPhase');

export const Experiment = z
  .object({
    id: z.string(),
    key: Slug,
    name: z.string(),
    hypothesis: z.string(),
    flag: Slug,
    environment: Slug,
    variations: z.array(z.object({ key: z.string(), value: z.unknown(), weight: z.number() })),
    coverage: z.number(),
    hashAttribute: z.string(),
    goalMetrics: z.array(Slug),
    secondaryMetrics: z.array(Slug),
    guardrailMetrics: z.array(Slug),
    settings: ExperimentSettings,
    plan: ExperimentPlan.nullable(),
    planning: ExperimentPlanning.nullable(),
    status: ExperimentStatus,
    shippedVariation: z.string().nullable(),
    phases: z.array(ExperimentPhase),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Experiment');

export const ExperimentWithWarnings = Experiment.extend({
  warnings: z.array(z.string()).openapi({ description: 'E.g. that a new phase may re-bucket users' }),
}).openapi('ExperimentWithWarnings');

export const ExperimentKeyParam = z.object({ key: Slug.openapi({ param: { name: 'key', in: 'path' } }) });
