// `POST /api/v1/analyze`: the request and response of the statistics engine (src/stats/types.ts), as
// zod schemas for validation and the OpenAPI document. Settings left out take ANALYSIS_DEFAULTS,
// the same as experiments'.
import { z } from '@hono/zod-openapi';
import { ResolvedSettings } from '../analysis/analysis-schemas.ts';
import { ANALYSIS_DEFAULTS as D } from '../stats/index.ts';

const Moments = (description: string) =>
  z
    .strictObject({
      sum: z.number(),
      sumSquares: z.number().min(0),
      sumProduct: z.number(),
    })
    .openapi({ description });

export const AnalyzeVariation = z
  .strictObject({
    key: z.string().min(1).max(64),
    weight: z.number().positive().openapi({ description: 'Configured traffic weight (proportions matter)' }),
    n: z.number().int().min(0).openapi({ description: 'Number of units' }),
    sum: z.number().openapi({ description: 'Σx; for binomial metrics the number of converted units' }),
    sumSquares: z.number().min(0).openapi({ description: 'Σx²; for binomial metrics equal to sum' }),
    pre: Moments('CUPED pre-period covariate: Σpre, Σpre², Σpost·pre').optional(),
    denominator: Moments('Ratio metrics: Σd, Σd², Σnumerator·d').optional(),
  })
  .openapi('AnalyzeVariation');

export const AnalyzeRequest = z
  .strictObject({
    metric: z.strictObject({
      kind: z.enum(['mean', 'binomial', 'ratio']),
      direction: z.enum(['higher', 'lower']).default('higher'),
    }),
    variations: z
      .array(AnalyzeVariation)
      .min(2)
      .max(20)
      .openapi({ description: 'The first variation is the control' }),
    settings: z
      .strictObject({
        alpha: z
          .number()
          .gt(0)
          .lt(1)
          .optional()
          .openapi({ description: `Default ${D.alpha}` }),
        sided: z
          .enum(['two', 'greater', 'less'])
          .optional()
          .openapi({ description: `Default '${D.sided}'` }),
        engine: z
          .enum(['frequentist', 'bayesian'])
          .optional()
          .openapi({ description: `Default '${D.engine}'` }),
        sequential: z
          .boolean()
          .optional()
          .openapi({
            description: `Always-valid inference (frequentist engine); default ${D.sequential}, as for experiments`,
          }),
        sequentialTuning: z
          .number()
          .positive()
          .optional()
          .openapi({
            description: `N*, the total units where the interval is tightest; default ${D.sequentialTuning}`,
          }),
        cuped: z.boolean().optional().openapi({
          description:
            'true needs `pre` on every variation; by default on exactly when every variation has `pre`',
        }),
        correction: z
          .enum(['holm', 'benjamini-hochberg', 'none'])
          .optional()
          .openapi({
            description: `Across the treatments (more than one); default '${D.correction}'`,
          }),
        prior: z
          .strictObject({ mean: z.number(), variance: z.number().positive() })
          .nullable()
          .optional()
          .openapi({ description: 'Bayesian engine: prior on the relative effect; flat when omitted' }),
      })
      .optional(),
  })
  .openapi('AnalyzeRequest');

const Interval = z
  .tuple([z.number().nullable(), z.number().nullable()])
  .openapi({ description: '[lower, upper]; null is an unbounded side or a value the data cannot support' });

export const EffectResult = z
  .object({
    estimate: z.number().nullable(),
    se: z.number().nullable(),
    ci: Interval,
    pValue: z.number().nullable().openapi({ description: 'null with the Bayesian engine' }),
  })
  .openapi('EffectResult');

export const AnalyzeResponse = z
  .object({
    srm: z.object({
      pValue: z.number().nullable().openapi({ description: 'χ² goodness of fit against the weights' }),
      healthy: z.boolean().openapi({ description: 'false when p < 0.001 (sample-ratio mismatch)' }),
    }),
    comparisons: z.array(
      z.object({
        variation: z.string(),
        absolute: EffectResult,
        relative: EffectResult,
        chanceToWin: z
          .number()
          .nullable()
          .optional()
          .openapi({ description: 'Bayesian engine only: chance to beat the control' }),
        risk: z
          .tuple([z.number().nullable(), z.number().nullable()])
          .optional()
          .openapi({ description: 'Bayesian engine only: expected relative loss of [control, treatment]' }),
      }),
    ),
  })
  .extend({ settings: ResolvedSettings })
  .openapi('AnalyzeResponse');
