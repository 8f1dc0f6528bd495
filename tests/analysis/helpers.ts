// Test data for the analysis: a fake AnalysisSpec, a seeded generator of exposures and outcomes,
// posting through POST /sdk/v1/events, and a plain-JS reference computation of per-unit values.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { AnalysisMetric, AnalysisSpec } from '../../src/analysis/analysis-spec.ts';
import { makeTestApp, type Caller, type TestApp } from '../helpers/test-app.ts';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export interface Exposure {
  type: 'exposure';
  id: string;
  ts: number;
  unit: string;
  experiment: string;
  variation: string;
  attributes?: Record<string, unknown>;
}
export interface Track {
  type: 'track';
  id: string;
  ts: number;
  unit: string;
  event: string;
  value?: number;
}
export type Event = Exposure | Track;

export const exposure = (
  unit: string,
  experiment: string,
  variation: string,
  ts: number,
  attributes?: Record<string, unknown>,
): Exposure => ({
  type: 'exposure',
  id: randomUUID(),
  ts,
  unit,
  experiment,
  variation,
  ...(attributes ? { attributes } : {}),
});

export const track = (unit: string, event: string, ts: number, value?: number): Track => ({
  type: 'track',
  id: randomUUID(),
  ts,
  unit,
  event,
  ...(value === undefined ? {} : { value }),
});

/** mulberry32: a small seeded generator, so every run sees the same data. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function analysisApp() {
  const t = await makeTestApp();
  const { caller } = await t.sdkKey('server');
  const environmentId = (await t.services.environments.get('production')).id;
  return { t, caller, environmentId };
}

/** Posts events in batches of 1000 through the SDK route; every one must be accepted. */
export async function send(t: TestApp, caller: Caller, events: Event[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    const res = await t.request('POST', '/sdk/v1/events', {
      as: caller,
      body: { events: events.slice(i, i + 1000) },
    });
    expect(res.status, res.text).toBe(202);
    expect(res.json.rejected).toEqual([]);
  }
}

export function metric(key: string, overrides: Partial<AnalysisMetric> = {}): AnalysisMetric {
  return {
    role: 'goal',
    key,
    name: key,
    kind: 'binomial',
    eventName: key,
    denominatorEventName: null,
    direction: 'higher',
    windowHours: null,
    retention: null,
    capping: null,
    cupedLookbackDays: 14,
    ...overrides,
  };
}

export function makeSpec(
  key: string,
  environmentId: string,
  startedAt: Date,
  metrics: AnalysisMetric[],
  overrides: { settings?: Partial<AnalysisSpec['experiment']['settings']>; weights?: number[] } = {},
): AnalysisSpec {
  const weights = overrides.weights ?? [0.5, 0.5];
  return {
    experiment: {
      id: `exp_${key}`,
      key,
      environmentId,
      status: 'running',
      settings: {
        alpha: 0.05,
        sided: 'two',
        engine: 'frequentist',
        sequential: false,
        sequentialTuning: 5000,
        cuped: false,
        correction: 'holm',
        ...overrides.settings,
      },
    },
    phase: { number: 1, startedAt, endedAt: null, weights, coverage: 1 },
    variations: weights.map((weight, i) => ({
      key: i === 0 ? 'control' : `treatment${i > 1 ? i : ''}`,
      weight,
    })),
    metrics,
  };
}

export interface RefSums {
  n: number;
  sum: number;
  sumSquares: number;
  pre?: { sum: number; sumSquares: number; sumProduct: number };
  denominator?: { sum: number; sumSquares: number; sumProduct: number };
}

/**
 * The sufficient statistics computed the obvious way, unit by unit in JS, from the events sent:
 * the independent check of the SQL. Follows docs/decisions/0005-analysis-conventions.md.
 */
export function referenceStats(spec: AnalysisSpec, events: Event[], now: number): RefSums[][] {
  const start = spec.phase.startedAt.getTime();
  const end = Math.min(spec.phase.endedAt?.getTime() ?? now, now);
  const first = new Map<string, { ts: number; variation: string; variations: Set<string> }>();
  for (const e of events) {
    if (e.type !== 'exposure' || e.experiment !== spec.experiment.key) continue;
    const f = first.get(e.unit);
    if (!f) first.set(e.unit, { ts: e.ts, variation: e.variation, variations: new Set([e.variation]) });
    else {
      f.variations.add(e.variation);
      if (e.ts < f.ts) Object.assign(f, { ts: e.ts, variation: e.variation });
    }
  }
  const tracks = new Map<string, Track[]>();
  for (const e of events) if (e.type === 'track') tracks.set(e.unit, [...(tracks.get(e.unit) ?? []), e]);
  const units = [...first.entries()].filter(
    ([, f]) =>
      f.ts >= start &&
      f.ts <= end &&
      f.variations.size === 1 &&
      spec.variations.some((v) => v.key === f.variation),
  );
  return spec.metrics.map((m) => {
    const cuped =
      spec.experiment.settings.cuped && m.kind !== 'ratio' && m.kind !== 'nps' && m.cupedLookbackDays > 0;
    /** An NPS score's points: promoters (9–10) +100, passives (7–8) 0, detractors −100. */
    const points = (score: number) => (score >= 9 ? 100 : score >= 7 ? 0 : -100);
    /** A unit's value; null for an `nps` metric without a score (the unit does not count). */
    const value = (list: Track[], event: string, from: number, to: number, toInclusive: boolean) => {
      const hits = list.filter(
        (t) => t.event === event && t.ts >= from && (toInclusive ? t.ts <= to : t.ts < to),
      );
      if (m.kind === 'binomial' || m.kind === 'retention') return hits.length ? 1 : 0;
      if (m.kind === 'count') return hits.length;
      if (m.kind === 'repeat') return hits.length >= (m.repeat?.atLeast ?? 2) ? 1 : 0;
      if (m.kind === 'nps') {
        // The latest score; at the same millisecond, the better one.
        const scores = hits.filter((t) => typeof t.value === 'number' && t.value >= 0 && t.value <= 10);
        scores.sort((a, b) => a.ts - b.ts || points(a.value!) - points(b.value!));
        const latest = scores.at(-1);
        return latest ? points(latest.value!) : null;
      }
      return hits.reduce((s, t) => s + (t.value ?? 1), 0);
    };
    const rows = units.map(([unit, f]) => {
      const list = tracks.get(unit) ?? [];
      let x: number | null;
      let eligible = true;
      let d = 0;
      if (m.kind === 'retention') {
        const from = f.ts + m.retention!.fromDays * DAY;
        const to = Math.min(f.ts + m.retention!.toDays * DAY, end + 1);
        x = value(list, m.eventName, from, to, false);
        eligible = f.ts + m.retention!.toDays * DAY <= end;
      } else {
        const to = m.windowHours === null ? end + 1 : Math.min(f.ts + m.windowHours * HOUR, end + 1);
        x = value(list, m.eventName, f.ts, to, false);
        if (m.kind === 'ratio') d = value(list, m.denominatorEventName!, f.ts, to, false)!;
      }
      const pre = cuped ? value(list, m.eventName, f.ts - m.cupedLookbackDays * DAY, f.ts, false)! : 0;
      return { variation: f.variation, x: x ?? 0, pre, d, eligible: eligible && x !== null };
    });
    let cap: number | null = null;
    if (m.capping && !['binomial', 'retention', 'repeat', 'nps'].includes(m.kind)) {
      if (m.capping.type === 'value') cap = m.capping.value;
      else {
        const q = m.capping.percentile > 1 ? m.capping.percentile / 100 : m.capping.percentile;
        const nonzero = rows
          .filter((r) => r.x !== 0)
          .map((r) => r.x)
          .sort((a, b) => a - b);
        if (nonzero.length) cap = nonzero[Math.max(0, Math.ceil(q * nonzero.length) - 1)]!;
      }
    }
    const c = (v: number) => (cap === null ? v : Math.min(v, cap));
    return spec.variations.map((v) => {
      const arm = rows.filter((r) => r.variation === v.key && r.eligible);
      const sums: RefSums = { n: arm.length, sum: 0, sumSquares: 0 };
      if (cuped) sums.pre = { sum: 0, sumSquares: 0, sumProduct: 0 };
      if (m.kind === 'ratio') sums.denominator = { sum: 0, sumSquares: 0, sumProduct: 0 };
      for (const r of arm) {
        const x = c(r.x);
        sums.sum += x;
        sums.sumSquares += x * x;
        if (sums.pre) {
          const p = c(r.pre);
          sums.pre.sum += p;
          sums.pre.sumSquares += p * p;
          sums.pre.sumProduct += x * p;
        }
        if (sums.denominator) {
          sums.denominator.sum += r.d;
          sums.denominator.sumSquares += r.d * r.d;
          sums.denominator.sumProduct += x * r.d;
        }
      }
      return sums;
    });
  });
}

/** Every leaf of `actual` equals `expected`'s: numbers to 1e-12 relative, or 1e-12 absolute near 0 (float summation order). */
export function expectClose(actual: unknown, expected: unknown, path = 'results'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const tolerance = 1e-12 * Math.max(1, Math.abs(expected));
    if (!(Math.abs(actual - expected) <= tolerance || (Number.isNaN(actual) && Number.isNaN(expected))))
      expect.fail(`${path}: ${actual} ≠ ${expected}`);
    return;
  }
  if (expected && typeof expected === 'object') {
    expect(actual, path).toBeTypeOf('object');
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(e).sort());
    for (const key of Object.keys(e)) expectClose(a[key], e[key], `${path}.${key}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}
