import { ExperimentKeyParam } from '../experiments/experiment-schemas.ts';
import type { AppRouter } from '../http/app-env.ts';
import { defineRoute } from '../http/define-route.ts';
import { jsonResponse } from '../http/schemas.ts';
import { ExperimentResults } from './analysis-schemas.ts';
import type { AnalysisService } from './analysis-service.ts';
import type { Snapshot } from './snapshot-store.ts';

const tags = ['Experiments'];

const results = defineRoute({
  method: 'get',
  path: '/api/v1/experiments/{key}/results',
  access: { role: 'viewer' },
  tags,
  summary:
    'The latest results of the current phase (from the newest snapshot; computed if there is none, or if it was computed for other settings, variations, metrics or phase end)',
  request: { params: ExperimentKeyParam },
  responses: { 200: jsonResponse(ExperimentResults, 'Results, with the time they were computed') },
});
const refresh = defineRoute({
  method: 'post',
  path: '/api/v1/experiments/{key}/results/refresh',
  access: { role: 'viewer' },
  tags,
  summary: 'Recompute the results now and store them as the newest snapshot',
  description:
    'Open to every reader. Coalesced: while a computation of the experiment runs, a refresh waits for it and ' +
    'returns its results. Limited: a snapshot younger than ANALYSIS_REFRESH_MIN_AGE_SECONDS (for the same ' +
    'settings and metrics) is returned as it is; `computedAt` tells its age.',
  request: { params: ExperimentKeyParam },
  responses: { 200: jsonResponse(ExperimentResults, 'The fresh results') },
});

const view = (snapshot: Snapshot) => ({
  ...snapshot.results,
  snapshotId: snapshot.id,
  computedAt: snapshot.computedAt.toISOString(),
});

export function analysisRoutes(app: AppRouter, analysis: AnalysisService): void {
  app.openapi(results, async (c) => c.json(view(await analysis.latest(c.req.valid('param').key)), 200));
  app.openapi(refresh, async (c) =>
    c.json(view(await analysis.requestRefresh(c.req.valid('param').key)), 200),
  );
}
