// The SQL sufficient statistics against a plain JS computation on the same events, posted
// through POST /sdk/v1/events; plus the window, capping and exclusion rules on small hand-made cases.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { addSums, emptySums, type MetricSums } from '../../src/analysis/metric-sums.ts';
import { computeSufficientStats } from '../../src/analysis/sufficient-stats.ts';
import type { AnalysisSpec } from '../../src/analysis/analysis-spec.ts';
import {
  analysisApp,
  DAY,
  exposure,
  HOUR,
  makeSpec,
  metric,
  referenceStats,
  rng,
  send,
  track,
  type Event,
  type RefSums,
} from './helpers.ts';
import { scenario, scenarioSpec } from './scenario.ts';

type Ctx = Awaited<ReturnType<typeof analysisApp>>;
let ctx: Ctx;
let data: ReturnType<typeof scenario>;

beforeAll(async () => {
  ctx = await analysisApp();
  data = scenario({ key: 'checkout', units: 1500, doubleExposed: 20 });
  await send(ctx.t, ctx.caller, data.events);
});

function totals(spec: AnalysisSpec, now: number): MetricSums[][] {
  const stats = computeSufficientStats(ctx.t.db.sqlite, spec, new Date(now));
  const sums = spec.metrics.map((m) => spec.variations.map(() => emptySums(m, spec)));
  for (const row of stats.days)
    row.metrics.forEach((s, k) => (sums[k]![row.variation] = addSums(sums[k]![row.variation]!, s)));
  return sums;
}

function expectClose(actual: MetricSums, expected: RefSums, label: string) {
  const close = (a: number, b: number, what: string) =>
    expect(Math.abs(a - b), `${label} ${what}: ${a} vs ${b}`).toBeLessThanOrEqual(
      1e-9 * Math.max(1, Math.abs(b)),
    );
  expect(actual.n, `${label} n`).toBe(expected.n);
  close(actual.sum, expected.sum, 'sum');
  close(actual.sumSquares, expected.sumSquares, 'sumSquares');
  for (const part of ['pre', 'denominator'] as const) {
    expect(Boolean(actual[part]), `${label} has ${part}`).toBe(Boolean(expected[part]));
    if (actual[part] && expected[part]) {
      close(actual[part].sum, expected[part].sum, `${part}.sum`);
      close(actual[part].sumSquares, expected[part].sumSquares, `${part}.sumSquares`);
      close(actual[part].sumProduct, expected[part].sumProduct, `${part}.sumProduct`);
    }
  }
}

describe('SQL sufficient statistics', () => {
  it('match a unit-by-unit JS computation for every metric kind, with CUPED sums', () => {
    const spec = scenarioSpec('checkout', ctx.environmentId, data.start, true);
    const sql = totals(spec, data.now);
    const reference = referenceStats(spec, data.events, data.now);
    spec.metrics.forEach((m, i) =>
      spec.variations.forEach((v, j) => expectClose(sql[i]![j]!, reference[i]![j]!, `${m.key}/${v.key}`)),
    );
    // the data is not trivial: conversions, a cap that bites, immature retention units
    expect(sql[0]![0]!.sum).toBeGreaterThan(50);
    expect(reference[1]![1]!.sum).toBeGreaterThan(0);
  });

  it('agree with the reference at an earlier `now` and for an ended phase', () => {
    const earlier = data.now - 6 * DAY;
    const spec = scenarioSpec('checkout', ctx.environmentId, data.start, true);
    const ended: AnalysisSpec = { ...spec, phase: { ...spec.phase, endedAt: new Date(data.now - 9 * DAY) } };
    for (const [s, now] of [
      [spec, earlier],
      [ended, data.now],
    ] as const) {
      const sql = totals(s, now);
      const reference = referenceStats(s, data.events, now);
      // retention units whose day 1-3 window is still open at `now` are left out of that metric
      if (s === spec) expect(sql[4]![0]!.n).toBeLessThan(sql[0]![0]!.n);
      s.metrics.forEach((m, i) =>
        s.variations.forEach((v, j) => expectClose(sql[i]![j]!, reference[i]![j]!, `${m.key}/${v.key}`)),
      );
    }
  });

  it('count an outcome only after first exposure and inside the window', async () => {
    const now = Date.now();
    const first = now - 10 * DAY;
    await send(ctx.t, ctx.caller, [
      exposure('w1', 'window', 'control', first),
      exposure('w2', 'window', 'treatment', first),
      track('w1', 'buy', first - HOUR, 1000), // before exposure
      track('w1', 'buy', first + HOUR, 5), // inside the 24 h window
      track('w1', 'buy', first + 23 * HOUR, 7), // inside
      track('w1', 'buy', first + 25 * HOUR, 1000), // after the window
      track('w2', 'buy', first + 2 * DAY, 3), // after the window
    ]);
    const spec = makeSpec('window', ctx.environmentId, new Date(now - 15 * DAY), [
      metric('buy', { kind: 'mean', windowHours: 24 }),
      metric('buy-any', { kind: 'mean', eventName: 'buy' }),
    ]);
    const [windowed, open] = totals(spec, now);
    expect(windowed!.map((s) => s.sum)).toEqual([12, 0]);
    expect(open!.map((s) => s.sum)).toEqual([1012, 3]);
  });

  it('cap per-unit values at a fixed value or at a percentile of the non-zero values', async () => {
    const now = Date.now();
    const first = now - 5 * DAY;
    const events = [];
    for (let i = 1; i <= 100; i++) {
      events.push(exposure(`c${i}`, 'capping', i % 2 ? 'control' : 'treatment', first));
      events.push(track(`c${i}`, 'spend', first + HOUR, i)); // per-unit values 1..100
    }
    events.push(exposure('c0', 'capping', 'control', first)); // a zero, not counted for the percentile
    await send(ctx.t, ctx.caller, events);
    const spec = makeSpec('capping', ctx.environmentId, new Date(now - 7 * DAY), [
      metric('fixed', { kind: 'mean', eventName: 'spend', capping: { type: 'value', value: 50 } }),
      metric('p90', { kind: 'mean', eventName: 'spend', capping: { type: 'percentile', percentile: 0.9 } }),
    ]);
    const stats = computeSufficientStats(ctx.t.db.sqlite, spec, new Date(now));
    expect(stats.caps).toEqual([50, 90]);
    const [fixed, p90] = totals(spec, now);
    const capped = (cap: number, odd: boolean) =>
      Array.from({ length: 100 }, (_, k) => k + 1)
        .filter((i) => (i % 2 === 1) === odd)
        .reduce((s, i) => s + Math.min(i, cap), 0);
    expect(fixed!.map((s) => s.sum)).toEqual([capped(50, true), capped(50, false)]);
    expect(p90!.map((s) => s.sum)).toEqual([capped(90, true), capped(90, false)]);
    expect(fixed![0]!.n).toBe(51);
  });

  it('leave out units seen in several variations, and units first exposed outside the phase', async () => {
    const now = Date.now();
    await send(ctx.t, ctx.caller, [
      exposure('m1', 'mixed', 'control', now - 3 * DAY),
      exposure('m1', 'mixed', 'treatment', now - 2 * DAY),
      exposure('m2', 'mixed', 'control', now - 3 * DAY),
      exposure('m3', 'mixed', 'treatment', now - 9 * DAY), // before the phase
      exposure('m4', 'mixed', 'treatment', now - 3 * DAY),
    ]);
    const spec = makeSpec('mixed', ctx.environmentId, new Date(now - 5 * DAY), [metric('x')]);
    const stats = computeSufficientStats(ctx.t.db.sqlite, spec, new Date(now));
    expect(stats.counts).toEqual({ total: 3, multipleVariations: 1, unknownVariation: 0 });
    expect(stats.days.reduce((s, d) => s + d.units, 0)).toBe(2);
  });

  it('give the same sums whether the metric events are read by a table scan or through the index', () => {
    const sqlite = ctx.t.db.sqlite;
    const spec = scenarioSpec('checkout', ctx.environmentId, data.start, true);
    const read = () => {
      const texts: string[] = [];
      const prepare = sqlite.prepare.bind(sqlite);
      const spy = vi.spyOn(sqlite, 'prepare').mockImplementation((sql: string) => {
        texts.push(sql);
        return prepare(sql);
      });
      try {
        const stats = computeSufficientStats(sqlite, spec, new Date(data.now));
        return { stats, scanned: texts.some((sql) => sql.includes('NOT INDEXED')) };
      } finally {
        spy.mockRestore();
      }
    };
    const before = read();
    // Other environments' events make this experiment's metric events a small share of the table.
    const rows = (sqlite.prepare('SELECT count(*) AS n FROM track_events').get() as { n: number }).n;
    sqlite
      .prepare(
        `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
         INSERT INTO track_events (environment_id, id, ts, unit, event, value, properties, key_id, received_at)
         SELECT 'env_other', 'o' || i, ?, 'u' || i, 'pageview', NULL, NULL, 'key_other', ? FROM k`,
      )
      .run(3 * rows, data.now - DAY, data.now);
    const after = read();
    expect([before.scanned, after.scanned]).toEqual([true, false]);
    expect(after.stats).toEqual(before.stats);
  });

  it('match the JS computation for nps and repeat metrics: latest scores, non-scores, thresholds, CUPED', async () => {
    // 0–3 surveys per scenario unit from a day before its first exposure to 5 days after: mostly
    // 0–10 integers, some fractional scores, some without a value or out of range.
    const random = rng(7);
    const firsts = new Map<string, number>();
    for (const e of data.events)
      if (e.type === 'exposure') firsts.set(e.unit, Math.min(e.ts, firsts.get(e.unit) ?? Infinity));
    const surveys: Event[] = [];
    for (const [unit, f] of firsts) {
      for (let k = Math.floor(random() * 4); k > 0; k--) {
        const ts = f - DAY + Math.floor(random() * 6 * DAY);
        const r = random();
        const value =
          r < 0.75
            ? Math.floor(random() * 11)
            : r < 0.85
              ? Math.round(random() * 100) / 10
              : r < 0.92
                ? undefined
                : [11, -1, 42, 10.5][Math.floor(random() * 4)];
        surveys.push(track(unit, 'survey', ts, value));
      }
    }
    await send(ctx.t, ctx.caller, surveys);
    const events = [...data.events, ...surveys];
    const spec = makeSpec(
      'checkout',
      ctx.environmentId,
      new Date(data.start),
      [
        metric('nps', { kind: 'nps', eventName: 'survey', windowHours: 72 }),
        metric('nps-any', { role: 'secondary', kind: 'nps', eventName: 'survey' }),
        metric('surveys', { role: 'secondary', kind: 'count', eventName: 'survey' }),
        metric('repurchase', {
          kind: 'repeat',
          eventName: 'purchase',
          repeat: { atLeast: 2 },
          windowHours: 120,
        }),
        metric('views3', {
          role: 'secondary',
          kind: 'repeat',
          eventName: 'pageview',
          repeat: { atLeast: 3 },
        }),
      ],
      { settings: { cuped: true } },
    );
    for (const now of [data.now, data.now - 6 * DAY]) {
      const sql = totals(spec, now);
      const reference = referenceStats(spec, events, now);
      spec.metrics.forEach((m, i) =>
        spec.variations.forEach((v, j) => expectClose(sql[i]![j]!, reference[i]![j]!, `${m.key}/${v.key}`)),
      );
      if (now !== data.now) continue;
      // Not trivial: respondents are a part of the arm, with every class; repeats below and above
      // the threshold, before exposure too.
      const [nps, , count, repurchase] = sql;
      expect(nps![0]!.n).toBeGreaterThan(200);
      expect(nps![0]!.n).toBeLessThan(count![0]!.n);
      expect(Math.abs(nps![0]!.sum)).toBeLessThan(100 * nps![0]!.n);
      expect(nps![0]!.sumSquares).toBeLessThan(10_000 * nps![0]!.n);
      expect(repurchase![0]!.sum).toBeGreaterThan(10);
      expect(repurchase![0]!.sum).toBeLessThan(repurchase![0]!.n);
      expect(repurchase![0]!.pre!.sum).toBeGreaterThan(10);
      expect(nps![0]!.pre).toBeUndefined();
    }
  });
});
