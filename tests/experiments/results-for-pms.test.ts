// Issue 12 end to end through the API: one set of analysis defaults shared by experiments and
// /api/v1/analyze, a plan that sets the sequential tuning and the power block, and the headline,
// summary and decision a PM reads.
import { beforeEach, describe, expect, it } from 'vitest';
import { ANALYSIS_DEFAULTS, plannedSampleSize, power } from '../../src/stats/index.ts';
import { DAY, exposure, rng, send, track, type Event } from '../analysis/helpers.ts';
import { makeTestApp, type Caller, type TestApp } from '../helpers/test-app.ts';
import { experimentBody, experimentCalls, seedExperimentWorld } from './experiment-helpers.ts';

let t: TestApp;
let server: Caller;
beforeEach(async () => {
  t = await makeTestApp({ ANALYSIS_REFRESH_MINUTES: 0 });
  server = (await t.sdkKey('server')).caller;
  await seedExperimentWorld(t);
});

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `n` units per arm exposed just now, converting at `rates` (control, treatment). */
function traffic(prefix: string, n: number, rates: [number, number], seed = 7): Event[] {
  const random = rng(seed);
  const now = Date.now();
  return Array.from({ length: 2 * n }, (_, i) => {
    const arm = i % 2;
    const unit = `${prefix}${i}`;
    const events: Event[] = [exposure(unit, 'checkout-test', arm ? 'treatment' : 'control', now - 300)];
    if (random() < rates[arm]!) events.push(track(unit, 'purchase', now - 200, 10));
    return events;
  }).flat();
}

async function results(as: Caller = t.admin) {
  const answer = await t.request('POST', '/api/v1/experiments/checkout-test/results/refresh', { as });
  expect(answer.status, answer.text).toBe(200);
  return answer.json;
}

describe('one set of analysis defaults', () => {
  it('an experiment and /api/v1/analyze with default settings give identical numbers for the same sums', async () => {
    // No pre-period for this metric, so neither side applies CUPED: the sums below are all there is.
    await t.request('POST', '/api/v1/metrics', {
      as: t.admin,
      body: { key: 'signup', name: 'Signup', kind: 'binomial', eventName: 'purchase', cupedLookbackDays: 0 },
    });
    const api = experimentCalls(t);
    const body = experimentBody({ goalMetrics: ['signup'], secondaryMetrics: [], guardrailMetrics: [] });
    expect((await api.create(body)).status).toBe(201);
    expect((await api.action('start')).status).toBe(200);
    await wait(1100);
    await send(t, server, traffic('u', 1000, [0.1, 0.15]));
    const experiment = await results();
    const metric = experiment.metrics[0];
    const analyzed = await t.request('POST', '/api/v1/analyze', {
      as: await t.signIn('viewer'),
      body: {
        metric: { kind: 'binomial' },
        variations: metric.variations.map((v: { key: string; units: number; sum: number }, i: number) => ({
          key: v.key,
          weight: experiment.units.perVariation[i].weight,
          n: v.units,
          sum: v.sum,
          sumSquares: v.sum,
        })),
      },
    });
    expect(analyzed.status, analyzed.text).toBe(200);
    const [fromAnalyze] = analyzed.json.comparisons;
    const [fromExperiment] = metric.comparisons;
    expect(fromAnalyze.absolute).toEqual(fromExperiment.absolute);
    expect(fromAnalyze.relative).toEqual(fromExperiment.relative);
    const { interval, sequentialTuningSource, ...settings } = experiment.settings;
    expect(analyzed.json.settings).toEqual({ ...settings, cuped: false });
    expect(settings).toMatchObject({
      sequential: true,
      sequentialTuning: 5000,
      alpha: 0.05,
      correction: 'holm',
    });
    expect(interval).toBe('always-valid');
    expect(sequentialTuningSource).toBe('default');
  });

  it('/api/v1/analyze defaults are ANALYSIS_DEFAULTS, and CUPED applies where pre-period sums are given', async () => {
    const arm = (key: string, sum: number) => ({ key, weight: 1, n: 500, sum, sumSquares: sum * 3 });
    const withPre = (key: string, sum: number) => ({
      ...arm(key, sum),
      pre: { sum: sum * 0.8, sumSquares: sum * 2, sumProduct: sum * 2.1 },
    });
    const plain = await t.request('POST', '/api/v1/analyze', {
      as: t.admin,
      body: { metric: { kind: 'mean' }, variations: [arm('a', 400), arm('b', 460)] },
    });
    expect(plain.json.settings).toEqual({ ...ANALYSIS_DEFAULTS, power: undefined, cuped: false });
    const cuped = await t.request('POST', '/api/v1/analyze', {
      as: t.admin,
      body: { metric: { kind: 'mean' }, variations: [withPre('a', 400), withPre('b', 460)] },
    });
    expect(cuped.json.settings.cuped).toBe(true);
    expect(cuped.json.comparisons[0].absolute.se).toBeLessThan(plain.json.comparisons[0].absolute.se);
  });
});

describe('a plan sets the sequential tuning, the power block and days left', () => {
  it('an experiment created with only a minimum detectable effect gets its tuning from the pre-period baseline', async () => {
    // Pre-period: 2,000 active units over the last week, 10% of them purchased.
    const before = Date.now() - 3 * DAY;
    const pre: Event[] = Array.from({ length: 2000 }, (_, i) => [
      track(`p${i}`, 'page_view', before + i),
      ...(i % 10 === 0 ? [track(`p${i}`, 'purchase', before + i, 25)] : []),
    ]).flat();
    await send(t, server, pre);
    const api = experimentCalls(t);
    const created = await api.create(
      experimentBody({ plan: { minimumDetectableEffect: 0.5 }, secondaryMetrics: [], guardrailMetrics: [] }),
    );
    expect(created.status, created.text).toBe(201);
    expect(created.json.plan).toEqual({
      minimumDetectableEffect: 0.5,
      power: 0.8,
      expectedUnitsPerDay: null,
    });
    expect(created.json.settings.sequentialTuning).toBeNull();

    const started = await api.action('start');
    expect(started.status, started.text).toBe(200);
    const { planning, settings } = started.json;
    expect(planning.source).toBe('plan');
    expect(planning.metrics).toEqual([
      {
        metric: 'purchase',
        minimumDetectableEffect: 0.5,
        baseline: { units: 2000, mean: 0.1, variance: expect.closeTo(0.09, 12) },
        plannedUnits: expect.any(Number),
      },
    ]);
    // The planned size is where the sequence, tuned there, has the planned power against +50%.
    const control = plannedSampleSize({ variance: 0.09, effect: 0.05, sequential: true });
    const pair = Math.ceil(2 * control);
    expect(planning.metrics[0].plannedUnits).toBe(pair);
    expect(settings.sequentialTuning).toBe(pair);
    expect(
      power({ variance: 0.09, n: control, effect: 0.05, sequential: true, sequentialTuning: pair }),
    ).toBeCloseTo(0.8, 6);
    // Fixed from then on.
    const retune = await api.patch({ settings: { sequentialTuning: 100 } });
    expect(retune.status).toBe(409);
    expect(retune.json.error.message).toMatch(/settings\.sequentialTuning/);

    const empty = await results(await t.signIn('viewer'));
    expect(empty.power[0]).toMatchObject({ targetRelativeEffect: 0.5, targetSource: 'plan', daysLeft: null });
    expect(empty.power[0].reason).toMatch(/no traffic/i);
    expect(empty.decision.status).toBe('no-data');
    expect(empty.settings.sequentialTuningSource).toBe('plan');

    await wait(1100);
    await send(t, server, traffic('u', 1500, [0.1, 0.4]));
    const decisive = await results(await t.signIn('viewer'));
    const [comparison] = decisive.metrics[0].comparisons;
    expect(comparison.headline).toMatchObject({
      effect: 'relative',
      verdict: 'winning',
      interval: 'always-valid',
    });
    expect(comparison.headline.pValue).toBe(comparison.relative.pValue);
    expect(comparison.summary).toMatch(
      /^Treatment raised \*Purchase\* by \d+% \(95% CI \+\d+% to \+\d+%\), always-valid interval: improved, winning\.$/,
    );
    expect(decisive.power[0].daysLeft).toBeNull();
    expect(decisive.power[0].reason).toMatch(/decisive/i);
    expect(decisive.decision).toEqual({
      status: 'ship',
      reason: 'treatment won on Purchase and no guardrail regressed.',
      variation: 'treatment',
    });
  });

  it('without a baseline the tuning is the documented default, with the reason', async () => {
    const api = experimentCalls(t);
    await api.create(experimentBody({ plan: { minimumDetectableEffect: { purchase: 0.1 } } }));
    const started = await api.action('start');
    expect(started.json.planning).toMatchObject({
      source: 'default',
      sequentialTuning: ANALYSIS_DEFAULTS.sequentialTuning,
      reason: expect.stringMatching(/no goal metric had a usable baseline/),
      metrics: [{ metric: 'purchase', minimumDetectableEffect: 0.1, baseline: null, plannedUnits: null }],
    });
    expect(started.json.settings.sequentialTuning).toBe(ANALYSIS_DEFAULTS.sequentialTuning);
  });

  it('an explicit tuning is kept, and a plan may only name goal metrics', async () => {
    const api = experimentCalls(t);
    const wrong = await api.create(experimentBody({ plan: { minimumDetectableEffect: { revenue: 0.1 } } }));
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.message).toMatch(/body\.plan\.minimumDetectableEffect\.revenue/);
    await api.create(
      experimentBody({ settings: { sequentialTuning: 20_000 }, plan: { minimumDetectableEffect: 0.1 } }),
    );
    const started = await api.action('start');
    expect(started.json.planning).toMatchObject({ source: 'explicit', sequentialTuning: 20_000 });
    expect(started.json.settings.sequentialTuning).toBe(20_000);
  });
});
