import { AppError } from '../errors.ts';
import type { AppRouter } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { jsonBody, jsonResponse } from '../http/schemas.ts';
import { analyzeCorrected, StatsInputError } from '../stats/index.ts';
import { AnalyzeRequest, AnalyzeResponse } from './analyze-schemas.ts';

const analyzeRoute = defineRoute({
  method: 'post',
  path: '/api/v1/analyze',
  access: { role: 'viewer' },
  tags: ['Experiments'],
  summary: 'Analyse sufficient statistics (counts and sums per variation) with the statistics engine',
  description:
    'Frequentist (always-valid by default, CUPED-adjusted where `pre` sums are given) or Bayesian comparison of ' +
    'every variation with the first (the control), corrected across the variations, plus a sample-ratio-mismatch ' +
    'check. Settings left out take the same defaults as experiments (ANALYSIS_DEFAULTS), so the same sums give ' +
    'the same numbers as an experiment with this metric as its only goal metric; `settings` in the answer says ' +
    'which were used. Nothing is stored.',
  request: { body: jsonBody(AnalyzeRequest) },
  responses: { 200: jsonResponse(AnalyzeResponse, 'The comparisons') },
});

/** `variations[1].sum` → `body.variations.1.sum`, the path style of every other 400. */
export const bodyPath = (field: string) => `body.${field.replace(/\[(\d+)\]/g, '.$1')}`;

export function analyzeRoutes(app: AppRouter): void {
  app.openapi(analyzeRoute, (c) => {
    try {
      return c.json(analyzeCorrected(c.req.valid('json')), 200);
    } catch (error) {
      if (!(error instanceof StatsInputError)) throw error;
      const path = bodyPath(error.field);
      throw new AppError('validation_failed', `${path}: ${error.reason}`, {
        issues: [{ path, message: error.reason }],
      });
    }
  });
}
