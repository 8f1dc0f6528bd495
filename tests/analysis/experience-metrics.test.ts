// `nps` and `repeat` metrics end to end: created through the metrics API, measured by an experiment
// whose exposures, scores and purchases arrive through POST /sdk/v1/events, read through the results
// routes (the kept state built, then refreshed with new events) and checked against values worked
// out by hand below, unit by unit.
import { beforeAll, describe, expect, it } from 'vitest';
import { computeResults } from '../../src/analysis/experiment-results.ts';
import { computeSufficientStats } from '../../src/analysis/sufficient-stats.ts';
import { addSums, emptySums, type MetricSums } from '../../src/analysis/metric-sums.ts';
import { makeTestApp, type Caller, type TestApp } from '../helpers/test-app.ts';
import { experimentBody, experimentCalls, seedExperimentWorld } from '../experiments/experiment-helpers.ts';
import { DAY, HOUR, exposure, send, track, type Event } from './helpers.ts';

let t: TestApp;
let server: Caller;
let editor: Caller;

const KEY = 'experience';
const NOW = Date.now();
/** The phase starts 10 days ago (set after the start, as if started then). */
const START = NOW - 10 * DAY;
const CONTROL = ['c1', 'c2', 'c3', 'c4', 'c5'];
const TREATMENT = ['t1', 't2', 't3', 't4', 't5', 't6', 't7'];
/** Each unit's first exposure: a day into the phase. */
const first = (unit: string) => START + DAY + [...CONTROL, ...TREATMENT].indexOf(unit) * 1000;
const at = (unit: string, offset: number) => first(unit) + offset;

const score = (unit: string, offset: number, value?: number) =>
  track(unit, 'survey', at(unit, offset), value);
const purchase = (unit: string, offset: number) => track(unit, 'purchase', at(unit, offset), 20);

/**
 * Scores (`nps`, 72 h window) and purchases (`repurchase`: at least 2 in 72 h, CUPED over 7 days;
 * `triple`: at least 3 until the end, no CUPED). Per unit, what counts:
 *
 * | unit | scores → latest in window → value | purchases in 72 h / until end / in the 7-day look-back |
 * | c1 | 10 → +100 | 1 / 1 / 1 (one more 8 days before: outside the look-back) |
 * | c2 | 3, then 9 → 9 → +100 | 2 / 2 / 2 |
 * | c3 | 8 → 0 | 3 / 3 / 1 |
 * | c4 | 6, and 10 at 80 h (outside the window) → −100 | 1 / 2 (one at 80 h) / 0 |
 * | c5 | one survey without a value → no score | 0 / 0 / 2 |
 * | t1 | 9 → +100 | 2 / 2 / 0 |
 * | t2 | 9, then 5 → 5 → −100 | 1 / 1 / 1 (an hour before exposure) |
 * | t3 | 0 an hour before exposure, 7 → 0 | 2 / 3 (one at 73 h) / 0 |
 * | t4 | 10, then 42 and −1 (not scores) → +100 | 0 / 0 / 0 |
 * | t5 | 6.5, then a text value written to the table directly → −100 | 4 / 4 / 3 |
 * | t6 | a text value: refused by the API → no score | 0 / 0 / 0 |
 * | t7 | exposed only in the second round (its events wait as pending): 10, then a survey without a value → +100 | 1 / 1 / 2 |
 */
function roundOne(): Event[] {
  return [
    ...[...CONTROL, ...TREATMENT]
      .filter((u) => u !== 't7')
      .map((u) => exposure(u, KEY, u.startsWith('c') ? 'control' : 'treatment', first(u))),
    score('c1', HOUR, 10),
    score('c2', HOUR, 3),
    score('c2', 2 * HOUR, 9),
    score('c3', HOUR, 8),
    score('c4', HOUR, 6),
    score('c4', 80 * HOUR, 10),
    score('c5', HOUR),
    score('t1', HOUR, 9),
    score('t2', HOUR, 9),
    score('t2', 3 * HOUR, 5),
    score('t3', -HOUR, 0),
    score('t3', HOUR, 7),
    score('t4', HOUR, 10),
    score('t4', 5 * HOUR, 42),
    score('t4', 6 * HOUR, -1),
    score('t5', HOUR, 6.5),
    purchase('c1', -8 * DAY),
    purchase('c1', -DAY),
    purchase('c1', 5 * HOUR),
    purchase('c2', -DAY),
    purchase('c2', -6 * DAY),
    purchase('c2', 2 * HOUR),
    purchase('c2', 10 * HOUR),
    purchase('c3', -DAY),
    purchase('c3', HOUR),
    purchase('c3', 2 * HOUR),
    purchase('c3', 3 * HOUR),
    purchase('c4', 4 * HOUR),
    purchase('c4', 80 * HOUR),
    purchase('c5', -2 * DAY),
    purchase('c5', -3 * DAY),
    purchase('t1', HOUR),
    purchase('t1', 30 * HOUR),
    purchase('t2', -HOUR),
    purchase('t2', 2 * HOUR),
    purchase('t3', HOUR),
    purchase('t3', 2 * HOUR),
    purchase('t3', 73 * HOUR),
    ...[DAY, 2 * DAY, 3 * DAY].map((d) => purchase('t5', -d)),
    ...[1, 2, 3, 4].map((h) => purchase('t5', h * HOUR)),
    score('t7', HOUR, 10),
    score('t7', 2 * HOUR),
    purchase('t7', -DAY),
    purchase('t7', -2 * DAY),
    purchase('t7', HOUR),
  ];
}

/**
 * Then: c3 scores 10 (latest: promoter), c2 a 0 that arrives late but is older than its 9 (the 9
 * stays), t6 answers 9 (a new respondent), c1 buys a second time in its window, and t7's exposure
 * arrives (its earlier events count now).
 */
function roundTwo(): Event[] {
  return [
    exposure('t7', KEY, 'treatment', first('t7')),
    score('c3', 4 * HOUR, 10),
    score('c2', 1.5 * HOUR, 0),
    score('t6', 2 * HOUR, 9),
    purchase('c1', 6 * HOUR),
  ];
}

interface MetricView {
  key: string;
  kind: string;
  variations: { key: string; units: number; sum: number; mean: number | null }[];
  comparisons: { absolute: { estimate: number | null; se: number | null } }[];
}

const results = async (refresh = false) => {
  const path = `/api/v1/experiments/${KEY}/results${refresh ? '/refresh' : ''}`;
  const res = await t.request(refresh ? 'POST' : 'GET', path, { as: editor });
  expect(res.status, res.text).toBe(200);
  const byKey = new Map((res.json.metrics as MetricView[]).map((m) => [m.key, m]));
  return (key: string) => byKey.get(key)!;
};

/** Welch standard error of a difference of means, from each arm's per-unit values. */
function welchSe(a: number[], b: number[]): number {
  const v = (xs: number[]) => {
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1) / xs.length;
  };
  return Math.sqrt(v(a) + v(b));
}

beforeAll(async () => {
  t = await makeTestApp({ ANALYSIS_REFRESH_MINUTES: 0 });
  server = (await t.sdkKey('server')).caller;
  editor = await t.signIn('editor');
  await seedExperimentWorld(t);
  const metrics = [
    { key: 'nps', name: 'NPS', kind: 'nps', eventName: 'survey' },
    { key: 'surveys', name: 'Surveys', kind: 'count', eventName: 'survey' },
    { key: 'repurchase', name: 'Repurchase', kind: 'repeat', eventName: 'purchase', cupedLookbackDays: 7 },
    {
      key: 'triple',
      name: 'Three purchases',
      kind: 'repeat',
      eventName: 'purchase',
      repeat: { atLeast: 3 },
      windowHours: null,
      cupedLookbackDays: 0,
    },
  ];
  for (const body of metrics) {
    const res = await t.request('POST', '/api/v1/metrics', { as: t.admin, body });
    expect(res.status, res.text).toBe(201);
  }
  const api = experimentCalls(t);
  const created = await api.create(
    experimentBody({
      key: KEY,
      goalMetrics: ['nps', 'repurchase'],
      secondaryMetrics: ['triple', 'surveys'],
      guardrailMetrics: [],
      settings: { cuped: true, sequential: false },
    }),
  );
  expect(created.status, created.text).toBe(201);
  const started = await api.action('start', undefined, KEY);
  expect(started.status, started.text).toBe(200);
  t.db.sqlite
    .prepare(
      'UPDATE experiment_phases SET started_at = ? WHERE experiment_id = (SELECT id FROM experiments WHERE key = ?)',
    )
    .run(START, KEY);
  await send(t, server, roundOne());
  // A value that is not a number is refused at ingestion (the others of the batch are kept) …
  const refused = await t.request('POST', '/sdk/v1/events', {
    as: server,
    body: {
      events: [
        {
          type: 'track',
          id: 'text-score',
          ts: at('t6', 2 * HOUR),
          unit: 't6',
          event: 'survey',
          value: 'ten',
        },
      ],
    },
  });
  expect(refused.status, refused.text).toBe(202);
  expect(refused.json.rejected).toHaveLength(1);
  // … and one in the table all the same (written by another tool) is not a score.
  const { id: env } = t.db.sqlite.prepare("SELECT id FROM environments WHERE key = 'production'").get() as {
    id: string;
  };
  t.db.sqlite
    .prepare(
      `INSERT INTO track_events (environment_id, id, ts, unit, event, value, properties, key_id, received_at)
       VALUES (?, 'raw-text', ?, 't5', 'survey', 'ten', NULL, 'k', ?)`,
    )
    .run(env, at('t5', 7 * HOUR), NOW);
});

describe('nps and repeat metrics', () => {
  it('are created with their defaults: an nps headline in points, a repeat from 2 events', async () => {
    const get = async (key: string) =>
      (await t.request('GET', `/api/v1/metrics/${key}`, { as: t.admin })).json;
    expect(await get('nps')).toMatchObject({ kind: 'nps', headlineEffect: 'absolute', repeat: null });
    expect(await get('repurchase')).toMatchObject({ headlineEffect: 'relative', repeat: { atLeast: 2 } });
    expect((await get('triple')).repeat).toEqual({ atLeast: 3 });
    expect((await get('surveys')).headlineEffect).toBe('relative');
  });

  it('report each arm’s NPS over its respondents, their latest score in the window', async () => {
    const metric = await results();
    const nps = metric('nps');
    expect(nps.kind).toBe('nps');
    // control: c1 +100, c2 +100 (3 then 9), c3 0, c4 −100 (its 10 is past the window); c5 no score
    // treatment: t1 +100, t2 −100 (9 then 5), t3 0, t4 +100, t5 −100 (6.5); t6 no score
    expect(nps.variations).toEqual([
      { key: 'control', units: 4, sum: 100, mean: 25 },
      { key: 'treatment', units: 5, sum: 0, mean: 0 },
    ]);
    const [c] = nps.comparisons;
    expect(c!.absolute.estimate).toBeCloseTo(-25, 12);
    expect(c!.absolute.se).toBeCloseTo(welchSe([100, 100, 0, -100], [100, -100, 0, 100, -100]), 9);
    // A count on the same event counts every survey in the window, scored or not: c 1+2+1+1+1,
    // t 1+2+1+3+2+0.
    expect(metric('surveys').variations.map((v) => v.sum)).toEqual([6, 9]);
  });

  it('report the share of units with at least N events in the window, CUPED-adjusted by the look-back', async () => {
    const metric = await results();
    const repurchase = metric('repurchase');
    expect(repurchase.kind).toBe('repeat');
    // at least 2 in 72 h: control c2, c3 of 5; treatment t1, t3, t5 of 6
    expect(repurchase.variations).toEqual([
      { key: 'control', units: 5, sum: 2, mean: 0.4 },
      { key: 'treatment', units: 6, sum: 3, mean: 0.5 },
    ]);
    // Pre-period (at least 2 in the 7 days before exposure): control c2, c5; treatment t5.
    // control: Σx 2, Σpre 2, Σpre² 2, Σx·pre 1 → S_xy = 1 − 2·2/5 = 0.2, S_xx = 2 − 4/5 = 1.2
    // treatment: Σx 3, Σpre 1, Σpre² 1, Σx·pre 1 → S_xy = 1 − 3/6 = 0.5, S_xx = 1 − 1/6 = 5/6
    // θ = 0.7 / (61/30) = 21/61; effect = (0.5 − 0.4) − θ·(1/6 − 2/5) = 11/61
    expect(repurchase.comparisons[0]!.absolute.estimate).toBeCloseTo(11 / 61, 12);
    const spec = await t.services.experiments.getAnalysisSpec(KEY);
    const stats = computeSufficientStats(t.db.sqlite, spec, new Date());
    const arms = spec.metrics.map((m) => spec.variations.map(() => emptySums(m, spec)));
    for (const row of stats.days)
      row.metrics.forEach((s, k) => (arms[k]![row.variation] = addSums(arms[k]![row.variation]!, s)));
    const of = (key: string): MetricSums[] => arms[spec.metrics.findIndex((m) => m.key === key)]!;
    expect(of('repurchase').map((a) => a.pre)).toEqual([
      { sum: 2, sumSquares: 2, sumProduct: 1 },
      { sum: 1, sumSquares: 1, sumProduct: 1 },
    ]);
    expect(of('nps').every((a) => a.pre === undefined)).toBe(true);
    // at least 3 until the end (no window): control c3; treatment t3 (its third at 73 h), t5
    const triple = metric('triple');
    expect(triple.variations.map((v) => [v.units, v.sum])).toEqual([
      [5, 1],
      [6, 2],
    ]);
    expect(triple.comparisons[0]!.absolute.estimate).toBeCloseTo(2 / 6 - 1 / 5, 12);
    expect(of('triple').every((a) => a.pre === undefined)).toBe(true);
  });

  it('a refresh with new events updates the kept state to the new hand-computed values', async () => {
    const state = () =>
      t.db.sqlite.prepare('SELECT id, end_ms FROM analysis_states WHERE experiment = ?').get(KEY) as {
        id: number;
        end_ms: number;
      };
    const kept = state();
    expect(kept).toBeDefined();
    await send(t, server, roundTwo());
    const metric = await results(true);
    // Brought up to date, not rebuilt.
    expect(state().id).toBe(kept.id);
    expect(state().end_ms).toBeGreaterThan(kept.end_ms);
    // control: c3 now +100 → 100, 100, 100, −100; c2's late 0 is older than its 9
    // treatment: t6 answers 9, t7 (exposed now) had 10 → +100, −100, 0, +100, −100, +100, +100
    expect(metric('nps').variations).toEqual([
      { key: 'control', units: 4, sum: 200, mean: 50 },
      { key: 'treatment', units: 7, sum: 200, mean: 200 / 7 },
    ]);
    expect(metric('nps').comparisons[0]!.absolute.estimate).toBeCloseTo(200 / 7 - 50, 12);
    // c1's second purchase: control 3 of 5; t7: 1 in its window (0), 2 in its look-back (1).
    // control: Σx 3, Σpre 2, Σpre² 2, Σx·pre 1 → S_xy = 1 − 3·2/5 = −0.2, S_xx = 1.2
    // treatment: Σx 3, Σpre 2, Σpre² 2, Σx·pre 1, n 7 → S_xy = 1 − 6/7 = 1/7, S_xx = 2 − 4/7 = 10/7
    // θ = (−1/5 + 1/7) / (6/5 + 10/7) = −1/46; effect = (3/7 − 3/5) − θ·(2/7 − 2/5) = −4/23
    const repurchase = metric('repurchase');
    expect(repurchase.variations).toEqual([
      { key: 'control', units: 5, sum: 3, mean: 0.6 },
      { key: 'treatment', units: 7, sum: 3, mean: 3 / 7 },
    ]);
    expect(repurchase.comparisons[0]!.absolute.estimate).toBeCloseTo(-4 / 23, 12);
    // The refreshed results are those of a computation from scratch.
    const spec = await t.services.experiments.getAnalysisSpec(KEY);
    const full = computeResults(t.db.sqlite, spec, new Date());
    for (const key of ['nps', 'surveys', 'repurchase', 'triple'])
      expect(full.metrics.find((m) => m.key === key)!.variations, key).toEqual(metric(key).variations);
    // Two more surveys in control (c3, c2's late one), three in treatment (t6, t7's two).
    expect(metric('surveys').variations.map((v) => v.sum)).toEqual([8, 12]);
  });
});
