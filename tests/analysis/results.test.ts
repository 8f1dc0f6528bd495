// Full results from events posted through POST /sdk/v1/events: effects and verdicts, CUPED, ratio
// and retention metrics, health checks, the daily series, power and breakdowns.
import { beforeAll, describe, expect, it } from 'vitest';
import { computeResults, type ExperimentResults } from '../../src/analysis/experiment-results.ts';
import { analysisApp, DAY, exposure, makeSpec, metric, send, track, type Event } from './helpers.ts';
import { COUNTRIES, scenario, scenarioSpec } from './scenario.ts';

type Ctx = Awaited<ReturnType<typeof analysisApp>>;
let ctx: Ctx;
let data: ReturnType<typeof scenario>;
let results: ExperimentResults;

const metricOf = (r: ExperimentResults, key: string) => r.metrics.find((m) => m.key === key)!;

beforeAll(async () => {
  ctx = await analysisApp();
  data = scenario({ key: 'checkout', units: 3000, doubleExposed: 30 });
  await send(ctx.t, ctx.caller, data.events);
  results = computeResults(
    ctx.t.db.sqlite,
    scenarioSpec('checkout', ctx.environmentId, data.start),
    new Date(data.now),
  );
});

describe('experiment results', () => {
  it('count the units per variation and report a significant win for the better arm', () => {
    const control = data.events.filter(
      (e) => e.type === 'exposure' && e.variation === 'control' && !e.unit.includes('double'),
    );
    const controlUnits = new Set(control.map((e) => e.unit)).size;
    expect(results.units.perVariation.map((v) => v.units)).toEqual([controlUnits, 3000 - controlUnits]);
    expect(results.units.total).toBe(3030);
    for (const key of ['purchase', 'revenue']) {
      const m = metricOf(results, key);
      expect(m.correction).toBe('holm');
      const [c] = m.comparisons;
      expect(c!.verdict, key).toBe('winning');
      expect(c!.significant).toBe(true);
      expect(c!.relative.estimate!).toBeGreaterThan(0);
      expect(c!.relative.ci[0]!).toBeGreaterThan(0);
      expect(m.variations[1]!.mean!).toBeGreaterThan(m.variations[0]!.mean!);
    }
    const purchase = metricOf(results, 'purchase');
    expect(purchase.variations[0]!.mean!).toBeCloseTo(
      purchase.variations[0]!.sum / purchase.variations[0]!.units,
      12,
    );
    expect(purchase.variations[0]!.mean!).toBeGreaterThan(0.35);
    expect(purchase.variations[0]!.mean!).toBeLessThan(0.55);
    expect(metricOf(results, 'pageviews').correction).toBe('none');
    expect(metricOf(results, 'pageviews').comparisons[0]!.verdict).toBe('inconclusive');
  });

  it('report the ratio metric as Σnumerator / Σdenominator per arm', () => {
    const ratio = metricOf(results, 'revenue-per-view');
    const views = data.events.filter(
      (e) => e.type === 'track' && e.event === 'pageview' && !e.unit.includes('double'),
    );
    expect(ratio.variations[0]!.mean!).toBeGreaterThan(0);
    expect(ratio.comparisons[0]!.relative.estimate).not.toBeNull();
    expect(views.length).toBeGreaterThan(3000);
  });

  it('report the retention metric over units whose window has closed', () => {
    const retention = metricOf(results, 'day2-visit');
    expect(retention.variations[0]!.mean!).toBeGreaterThan(0.25);
    expect(retention.variations[0]!.mean!).toBeLessThan(0.35);
    expect(retention.variations[1]!.mean!).toBeGreaterThan(0.35);
    expect(retention.comparisons[0]!.verdict).toBe('winning');
  });

  it('narrow the interval with CUPED when the pre-period correlates', () => {
    const cuped = computeResults(
      ctx.t.db.sqlite,
      scenarioSpec('checkout', ctx.environmentId, data.start, true),
      new Date(data.now),
    );
    for (const key of ['purchase', 'revenue']) {
      const width = (r: ExperimentResults) => {
        const ci = metricOf(r, key).comparisons[0]!.absolute.ci;
        return ci[1]! - ci[0]!;
      };
      expect(width(cuped), key).toBeLessThan((key === 'revenue' ? 0.95 : 1) * width(results));
    }
    // Power plans with the variance CUPED leaves: the units needed shrink about as the squared
    // standard error does (both arms are adjusted alike here).
    const power = (r: ExperimentResults) => r.power.find((e) => e.metric === 'revenue')!;
    const se = (r: ExperimentResults) => metricOf(r, 'revenue').comparisons[0]!.absolute.se!;
    const units = power(cuped).requiredControlUnits! / power(results).requiredControlUnits!;
    expect(units).toBeLessThan(0.95);
    expect(units).toBeCloseTo((se(cuped) / se(results)) ** 2, 1);
    expect(power(cuped).currentRelativeMde!).toBeLessThan(power(results).currentRelativeMde!);
  });

  it('report the chance to win and the risk instead of p-values with the Bayesian engine', () => {
    const spec = scenarioSpec('checkout', ctx.environmentId, data.start);
    spec.experiment.settings = { ...spec.experiment.settings, engine: 'bayesian' };
    const bayes = computeResults(ctx.t.db.sqlite, spec, new Date(data.now));
    for (const m of bayes.metrics) {
      const [c] = m.comparisons;
      expect(c!.absolute.pValue, m.key).toBeNull();
      expect(c!.relative.pValue, m.key).toBeNull();
      expect(c!.chanceToWin, m.key).toBeTypeOf('number');
      expect(c!.risk, m.key).toEqual([expect.any(Number), expect.any(Number)]);
      expect(c!.significant, m.key).toBe(c!.verdict !== 'inconclusive');
      // Nothing is corrected: chances to win have no family-wise adjustment.
      expect(m.correction, m.key).toBe('none');
    }
    const purchase = metricOf(bayes, 'purchase').comparisons[0]!;
    expect(purchase.chanceToWin!).toBeGreaterThan(0.95);
    expect(purchase.verdict).toBe('winning');
    // The same posterior as the frequentist estimate with a flat prior.
    expect(purchase.relative.estimate).toBeCloseTo(
      metricOf(results, 'purchase').comparisons[0]!.relative.estimate!,
      12,
    );
    expect(bayes.series[0]!.points.at(-1)!.comparisons[0]!.pValue).toBeNull();
  });

  it('flag the units seen in several variations and stay healthy otherwise', () => {
    const multiple = results.health.checks.find((c) => c.check === 'multiple_exposures')!;
    expect(multiple.details.units).toBe(30);
    expect(multiple.details.share).toBeCloseTo(30 / 3030, 10);
    expect(multiple.status).toBe('warning');
    expect(multiple.message).toMatch(/30 of 3030 units/);
    const srm = results.health.checks.find((c) => c.check === 'srm')!;
    expect(srm.status).toBe('ok');
    expect(results.health.healthy).toBe(true);
  });

  it('flag a sample ratio mismatch when the split is 70/30 against 50/50 weights', async () => {
    const skewed = scenario({ key: 'skewed', units: 1000, controlShare: 0.7, seed: 7 });
    await send(ctx.t, ctx.caller, skewed.events);
    const r = computeResults(
      ctx.t.db.sqlite,
      scenarioSpec('skewed', ctx.environmentId, skewed.start),
      new Date(skewed.now),
    );
    const srm = r.health.checks.find((c) => c.check === 'srm')!;
    expect(srm.status).toBe('unhealthy');
    expect(srm.details.pValue!).toBeLessThan(0.001);
    expect(srm.details.sequentialPValue!).toBeLessThan(0.001);
    expect(srm.message).toMatch(/Sample ratio mismatch/);
    expect(r.health.healthy).toBe(false);
  });

  it('warn when there is not enough data', async () => {
    const small = scenario({ key: 'small', units: 60, seed: 3 });
    await send(ctx.t, ctx.caller, small.events);
    const r = computeResults(
      ctx.t.db.sqlite,
      scenarioSpec('small', ctx.environmentId, small.start),
      new Date(small.now),
    );
    const check = r.health.checks.find((c) => c.check === 'not_enough_data')!;
    expect(check.status).toBe('warning');
    expect(check.message).toMatch(/fewer than 100 units/);
  });

  it('give one point per day since the phase start in the cumulative series', () => {
    expect(results.series.map((s) => s.metric)).toEqual(['purchase', 'revenue']);
    const points = results.series[0]!.points;
    expect(points).toHaveLength(Math.floor((data.now - data.start) / DAY) + 1);
    expect(points.map((p) => p.day)).toEqual(points.map((_, i) => i));
    const units = points.map((p) => p.units);
    expect(units).toEqual([...units].sort((a, b) => a - b)); // cumulative
    expect(units.at(-1)).toBe(3000);
    const last = points.at(-1)!.comparisons[0]!;
    // the last point is the whole phase, uncorrected: same estimate as the (corrected) result
    expect(last.estimate).toBeCloseTo(metricOf(results, 'purchase').comparisons[0]!.relative.estimate!, 12);
    // the interval narrows as units accumulate
    const width = (i: number) => points[i]!.comparisons[0]!.ci[1]! - points[i]!.comparisons[0]!.ci[0]!;
    expect(width(points.length - 1)).toBeLessThan(width(3));
  });

  it('estimate the power for a 5% relative effect; no days left once the verdict is in', () => {
    const p = results.power.find((e) => e.metric === 'purchase')!;
    expect(p.targetRelativeEffect).toBe(0.05);
    expect(p.currentRelativeMde!).toBeGreaterThan(0);
    expect(p.controlUnitsPerDay!).toBeGreaterThan(50);
    expect(p.requiredControlUnits!).toBeGreaterThan(1500);
    // purchase is winning already (above): no more days needed, and the answer says why
    expect(metricOf(results, 'purchase').comparisons[0]!.verdict).toBe('winning');
    expect(p.daysLeft).toBeNull();
    expect(p.reason).toMatch(/^Decisive already/);
  });

  it('break results down by country, grouping the values beyond the top 10 as "other"', () => {
    const country = results.breakdowns.dimensions.find((d) => d.dimension === 'country')!;
    expect(country.cardinality).toBe(COUNTRIES.length);
    expect(country.values).toHaveLength(11);
    expect(country.values.at(-1)!.value).toBe('other');
    expect(country.values[0]!.value).toBe('US');
    expect(country.values.reduce((s, v) => s + v.units, 0)).toBe(3000);
    const us = country.values[0]!;
    expect(us.metrics.map((m) => m.key)).toEqual(['purchase', 'revenue']);
    expect(us.metrics[0]!.variations.reduce((s, v) => s + v.units, 0)).toBe(us.units);
    expect(us.metrics[0]!.comparisons[0]!.relative.estimate).not.toBeNull();
    expect(results.breakdowns.caveat).toMatch(/not corrected/);
    const plan = results.breakdowns.dimensions.find((d) => d.dimension === 'plan')!;
    expect(plan.values.map((v) => v.value).sort()).toEqual(['free', 'pro']);
  });

  it('group units without the attribute as "(not set)", and a value spelled "other" with the rest', async () => {
    const now = Date.now();
    const events: Event[] = [];
    for (let i = 0; i < 400; i++) {
      const tier = [undefined, 'other', 'gold', `single-${i}`][i % 4];
      events.push(
        exposure(
          `tier-${i}`,
          'tiers',
          i % 2 ? 'treatment' : 'control',
          now - DAY,
          tier ? { tier } : undefined,
        ),
      );
      if (i % 3 === 0) events.push(track(`tier-${i}`, 'buy', now - DAY + 1000));
    }
    await send(ctx.t, ctx.caller, events);
    const spec = makeSpec('tiers', ctx.environmentId, new Date(now - 2 * DAY), [metric('buy')]);
    const r = computeResults(ctx.t.db.sqlite, spec, new Date(now), { breakdownValues: 3 });
    const tier = r.breakdowns.dimensions.find((d) => d.dimension === 'tier')!;
    expect(tier.cardinality).toBe(102);
    // Three slices of their own, not two and a merged one.
    expect(tier.values.map((v) => [v.value, v.units])).toEqual([
      ['gold', 100],
      ['single-103', 1],
      ['single-107', 1],
      ['other', 198],
      ['(not set)', 100],
    ]);
  });

  it('break down by the dimensions most units have, up to the configured number', async () => {
    const now = Date.now();
    const events: Event[] = [];
    for (let i = 0; i < 200; i++) {
      // d0 on 40 units, d1 on 80, … d4 on all 200
      const attributes = Object.fromEntries(
        [0, 1, 2, 3, 4].filter((k) => i < 40 * (k + 1)).map((k) => [`d${k}`, i % 2 ? 'a' : 'b']),
      );
      events.push(exposure(`dims-${i}`, 'dims', i % 2 ? 'treatment' : 'control', now - DAY, attributes));
    }
    await send(ctx.t, ctx.caller, events);
    const spec = makeSpec('dims', ctx.environmentId, new Date(now - 2 * DAY), [metric('buy')]);
    const r = computeResults(ctx.t.db.sqlite, spec, new Date(now), { breakdownDimensions: 3 });
    expect(r.breakdowns.dimensions.map((d) => d.dimension)).toEqual(['d4', 'd3', 'd2']);
    const d2 = r.breakdowns.dimensions[2]!;
    expect(d2.values.map((v) => [v.value, v.units])).toEqual([
      ['a', 60],
      ['b', 60],
      ['(not set)', 80],
    ]);
  });
});
