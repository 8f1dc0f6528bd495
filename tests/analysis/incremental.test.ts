// Incremental refresh = from-scratch computation: random event streams stored in rounds through the
// event store (late events, late exposures, units in two variations, CUPED pre-periods, windows,
// retention, caps, NPS scores changing and arriving late, repeats, breakdown attributes), full
// results compared after every round.
import { describe, expect, it } from 'vitest';
import { computeResults, type ExperimentResults } from '../../src/analysis/experiment-results.ts';
import { openDb } from '../../src/db/open-db.ts';
import { sqliteEventStore } from '../../src/events/events-store.ts';
import type { ExposureRow, TrackRow } from '../../src/events/parse-events.ts';
import { DAY, expectClose, HOUR, makeSpec, metric, rng } from './helpers.ts';

const ENV = 'env_inc';
const ROUNDS = 6;
const ROUND_MS = 4 * DAY;
const EVENTS = ['purchase', 'pageview', 'visit', 'add_to_cart', 'other'];

interface Arrival {
  round: number;
  exposure?: ExposureRow;
  track?: TrackRow;
}

interface StreamOptions {
  /** Exposures that arrive after a later one of the same unit (first exposure moves earlier). */
  lateExposures: boolean;
}

/**
 * The stream's exposures arrive at most 16 days after their `ts` (3 rounds late, within a round of
 * 4 days): the EVENTS_MAX_AGE_DAYS that holds for it.
 */
const STREAM_MAX_AGE_DAYS = 16;
/** The largest CUPED look-back of `spec`. */
const LOOKBACK = 14 * DAY;

/** Units over the phase, their events over [first − 20 d, first + 12 d], each with an arrival round. */
function stream(seed: number, start: number, options: StreamOptions): Arrival[] {
  const random = rng(seed);
  // The surveys draw from their own generator: the other events are the same with or without them.
  const surveyRandom = rng(seed + 7919);
  const out: Arrival[] = [];
  let id = 0;
  const arrival = (ts: number, r0 = random) => {
    let round = Math.max(0, Math.ceil((ts - start) / ROUND_MS) - 1);
    const r = r0();
    if (r < 0.15)
      round += 1 + Math.floor(r0() * 3); // late: old ts, new rowid
    else if (r < 0.2) round -= 1; // ahead of the clock: ts past the analysis end
    return Math.min(ROUNDS - 1, Math.max(0, round));
  };
  /**
   * 0–4 surveys of `unit` over [from, from + 16 d]: scores 0–10 (some fractional, some a second
   * one at the same millisecond), values that are not scores (none, out of range).
   */
  const surveys = (unit: string, from: number) => {
    const r = surveyRandom;
    for (let k = Math.floor(r() * 5); k > 0; k--) {
      const ts = from + Math.floor(r() * 16 * DAY);
      const kind = r();
      const value =
        kind < 0.7
          ? Math.floor(r() * 11)
          : kind < 0.8
            ? Math.round(r() * 100) / 10
            : kind < 0.9
              ? null
              : 10.5;
      out.push({
        round: arrival(ts, r),
        track: { id: `s${id++}`, ts, unit, event: 'survey', value, properties: null },
      });
      if (r() < 0.1) {
        const again = Math.floor(r() * 11);
        out.push({
          round: arrival(ts, r),
          track: { id: `s${id++}`, ts, unit, event: 'survey', value: again, properties: null },
        });
      }
    }
  };
  for (let u = 0; u < 240; u++) {
    const unit = `u${u}`;
    const variation = random() < 0.5 ? 'control' : 'treatment';
    const first = start - 2 * DAY + Math.floor(random() * (ROUNDS * ROUND_MS + DAY));
    const attributes = JSON.stringify({
      country: ['US', 'DE', 'FR'][Math.floor(random() * 3)],
      ...(random() < 0.7 ? { plan: random() < 0.3 ? 'pro' : 'free' } : {}),
    });
    const exposures = [{ ts: first, variation, attributes }];
    if (random() < 0.3)
      exposures.push({ ts: first + Math.floor(random() * 3 * DAY), variation, attributes: '{}' });
    if (random() < 0.05) exposures.push({ ts: first + HOUR, variation: 'control', attributes: '{}' });
    if (random() < 0.03) exposures.push({ ts: first + HOUR, variation: '7', attributes: '{}' });
    const firstRound = arrival(first);
    for (const [k, e] of exposures.entries()) {
      // Without late exposures, a unit's later exposures arrive with or after its first one.
      let round = k === 0 ? firstRound : Math.max(firstRound, arrival(e.ts));
      if (k === 0 && options.lateExposures && exposures.length > 1 && random() < 0.5) {
        round = Math.min(ROUNDS - 1, arrival(exposures[1]!.ts) + 1 + Math.floor(random() * 2));
      }
      out.push({
        round,
        exposure: {
          id: `x${id++}`,
          ts: e.ts,
          unit,
          experiment: 'inc',
          variation: e.variation,
          flag: null,
          attributes: e.attributes,
        },
      });
    }
    const n = Math.floor(random() * 14);
    for (let k = 0; k < n; k++) {
      const event = EVENTS[Math.floor(random() * EVENTS.length)]!;
      const ts = first - 20 * DAY + Math.floor(random() * 32 * DAY);
      const value =
        event === 'purchase' ? Math.round(random() * random() * 5000) / 10 : random() < 0.3 ? 2 : null;
      out.push({ round: arrival(ts), track: { id: `t${id++}`, ts, unit, event, value, properties: null } });
    }
    surveys(unit, first - 2 * DAY);
    // Units never exposed, with events: pending until exposed, if ever.
    if (random() < 0.1) {
      const ts = start + Math.floor(random() * ROUNDS * ROUND_MS);
      out.push({
        round: arrival(ts),
        track: { id: `t${id++}`, ts, unit: `ghost${u}`, event: 'purchase', value: 5, properties: null },
      });
      surveys(`ghost${u}`, ts - 4 * DAY);
    }
  }
  return out;
}

function spec(start: number) {
  return makeSpec(
    'inc',
    ENV,
    new Date(start),
    [
      metric('purchase', { windowHours: 48 }),
      metric('revenue', {
        kind: 'mean',
        eventName: 'purchase',
        capping: { type: 'percentile', percentile: 0.9 },
      }),
      metric('views', {
        role: 'secondary',
        kind: 'count',
        eventName: 'pageview',
        capping: { type: 'value', value: 2 },
      }),
      metric('carts-per-view', {
        role: 'secondary',
        kind: 'ratio',
        eventName: 'add_to_cart',
        denominatorEventName: 'pageview',
        windowHours: 120,
      }),
      metric('return', {
        role: 'guardrail',
        kind: 'retention',
        eventName: 'visit',
        retention: { fromDays: 1, toDays: 5 },
      }),
      metric('spend-72h', {
        role: 'secondary',
        kind: 'mean',
        eventName: 'purchase',
        windowHours: 72,
        cupedLookbackDays: 7,
      }),
      metric('nps', { kind: 'nps', eventName: 'survey', windowHours: 96 }),
      metric('nps-all', { role: 'secondary', kind: 'nps', eventName: 'survey' }),
      // Shares its event with the nps metrics: counts the surveys without a score too.
      metric('surveys', { role: 'secondary', kind: 'count', eventName: 'survey', windowHours: 96 }),
      metric('repurchase', {
        role: 'secondary',
        kind: 'repeat',
        eventName: 'purchase',
        repeat: { atLeast: 2 },
      }),
      // Also shares the survey event, with a pre-period of its own.
      metric('surveyed-3', {
        role: 'guardrail',
        kind: 'repeat',
        eventName: 'survey',
        repeat: { atLeast: 3 },
        cupedLookbackDays: 3,
      }),
    ],
    { settings: { cuped: true, sequential: true } },
  );
}

function stateId(db: ReturnType<typeof openDb>): number | undefined {
  return (
    db.sqlite.prepare("SELECT id FROM analysis_states WHERE experiment = 'inc'").get() as
      { id: number } | undefined
  )?.id;
}

/**
 * Stores the stream round by round; after each, incremental and from-scratch results must agree,
 * and the pending events kept reach back no further than a later first exposure could.
 */
function run(
  seed: number,
  options: StreamOptions & { eventsMaxAgeDays?: number },
): { rebuilds: number; pruned: number } {
  const eventsMaxAgeDays = options.eventsMaxAgeDays ?? STREAM_MAX_AGE_DAYS;
  const start = Date.UTC(2026, 0, 1);
  const db = openDb(':memory:');
  const store = sqliteEventStore(db.sqlite, false);
  const arrivals = stream(seed, start, options);
  const s = spec(start);
  let rebuilds = 0;
  let pruned = 0;
  let previous: number | undefined;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const batch = arrivals.filter((a) => a.round === round);
      // Arrival order within a round is random too: rowids follow arrival, not ts.
      const random = rng(seed * 100 + round);
      batch.sort(() => random() - 0.5);
      store.writeGroup([
        {
          environmentId: ENV,
          keyId: 'k',
          receivedAt: start,
          exposures: batch.flatMap((a) => (a.exposure ? [a.exposure] : [])),
          tracks: batch.flatMap((a) => (a.track ? [a.track] : [])),
        },
      ]);
      const now = new Date(start + (round + 1) * ROUND_MS);
      const incremental: ExperimentResults = computeResults(db.sqlite, s, now, {
        computation: 'incremental',
        eventsMaxAgeDays,
      });
      const id = stateId(db);
      if (id !== previous) rebuilds++;
      previous = id;
      const horizon = now.getTime() - eventsMaxAgeDays * DAY - HOUR - LOOKBACK;
      const { oldest } = db.sqlite.prepare('SELECT min(ts) AS oldest FROM analysis_pending_events').get() as {
        oldest: number | null;
      };
      expect(oldest ?? horizon).toBeGreaterThanOrEqual(horizon);
      if (horizon > start - LOOKBACK) pruned++;
      const full = computeResults(db.sqlite, s, now);
      expectClose(incremental, full, `seed ${seed} round ${round}`);
      if (round === ROUNDS - 1) {
        // The experience metrics have data: respondents, a part of the arm; repeaters, some.
        const of = (key: string) => full.metrics.find((m) => m.key === key)!.variations;
        of('nps').forEach((v, j) => {
          expect(v.units).toBeGreaterThan(10);
          expect(v.units).toBeLessThan(of('purchase')[j]!.units);
        });
        for (const key of ['repurchase', 'surveyed-3'])
          for (const v of of(key)) expect(v.sum, key).toBeGreaterThan(0);
      }
    }
  } finally {
    db.close();
  }
  return { rebuilds, pruned };
}

/** Stores every arrival at once; returns the database and the spec's phase start. */
function stored(seed: number) {
  const start = Date.UTC(2026, 0, 1);
  const db = openDb(':memory:');
  const store = sqliteEventStore(db.sqlite, false);
  const arrivals = stream(seed, start, { lateExposures: false });
  const rows = (round: (r: number) => boolean) => ({
    environmentId: ENV,
    keyId: 'k',
    receivedAt: start,
    exposures: arrivals.flatMap((a) => (a.exposure && round(a.round) ? [a.exposure] : [])),
    tracks: arrivals.flatMap((a) => (a.track && round(a.round) ? [a.track] : [])),
  });
  return { db, store, start, rows };
}

describe('incremental analysis', () => {
  it('equals the from-scratch results after every round, built once and then only updated', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { rebuilds, pruned } = run(seed, { lateExposures: false });
      expect(rebuilds).toBe(1);
      expect(pruned).toBeGreaterThan(0);
    }
  });

  it('equals the from-scratch results when exposures arrive older than the pending events kept (rebuilds)', () => {
    for (const seed of [6, 7]) {
      expect(run(seed, { lateExposures: false, eventsMaxAgeDays: 1 }).rebuilds).toBeGreaterThan(1);
    }
  });

  it('equals the from-scratch results when late exposures move first exposures earlier (rebuilds)', () => {
    for (const seed of [11, 12, 13]) expect(run(seed, { lateExposures: true }).rebuilds).toBeGreaterThan(1);
  });

  it('rebuilds when the metrics change, when retention deleted events it counted, and on request', () => {
    const { db, store, start, rows } = stored(21);
    try {
      store.writeGroup([rows((r) => r < 4)]);
      const now = new Date(start + 5 * ROUND_MS);
      const s = spec(start);
      computeResults(db.sqlite, s, now, { computation: 'incremental' });
      const first = stateId(db);
      // Another window: the kept values no longer mean the same.
      const changed = { ...s, metrics: s.metrics.map((m, i) => (i === 0 ? { ...m, windowHours: 24 } : m)) };
      expectClose(
        computeResults(db.sqlite, changed, now, { computation: 'incremental' }),
        computeResults(db.sqlite, changed, now),
      );
      const second = stateId(db);
      expect(second).not.toBe(first);
      // Retention: the oldest events go (past the CUPED look-back of the phase start).
      store.writeGroup([rows((r) => r >= 4)]);
      expect(store.deleteOlderThan(start + 2 * DAY, 1_000_000)).toBeGreaterThan(0);
      expectClose(
        computeResults(db.sqlite, changed, now, { computation: 'incremental' }),
        computeResults(db.sqlite, changed, now),
      );
      const third = stateId(db);
      expect(third).not.toBe(second);
      computeResults(db.sqlite, changed, now, { computation: 'rebuild' });
      expect(stateId(db)).not.toBe(third);
    } finally {
      db.close();
    }
  });

  it('rebuilds when events it may have counted are deleted other than by retention, not for older ones', () => {
    const { db, store, start, rows } = stored(23);
    try {
      const old = {
        id: 'old',
        ts: start - 30 * DAY,
        unit: 'u1',
        event: 'purchase',
        value: 1,
        properties: null,
      };
      store.writeGroup([{ ...rows(() => true), tracks: [...rows(() => true).tracks, old] }]);
      const now = new Date(start + 5 * ROUND_MS);
      const s = spec(start);
      const refresh = () => {
        const incremental = computeResults(db.sqlite, s, now, { computation: 'incremental' });
        expectClose(incremental, computeResults(db.sqlite, s, now));
        return stateId(db);
      };
      const first = refresh();
      // Older than the phase's look-back: nothing the state counted.
      db.sqlite.prepare("DELETE FROM track_events WHERE id = 'old'").run();
      expect(refresh()).toBe(first);
      // A unit's data deleted on request: its events, then its exposures (their attributes).
      const { unit } = db.sqlite
        .prepare('SELECT t.unit FROM track_events t JOIN exposures e ON e.unit = t.unit LIMIT 1')
        .get() as { unit: string };
      expect(db.sqlite.prepare('DELETE FROM track_events WHERE unit = ?').run(unit).changes).toBeGreaterThan(
        0,
      );
      const second = refresh();
      expect(second).not.toBe(first);
      expect(db.sqlite.prepare('DELETE FROM exposures WHERE unit = ?').run(unit).changes).toBeGreaterThan(0);
      const third = refresh();
      expect(third).not.toBe(second);
      expect(refresh()).toBe(third);
    } finally {
      db.close();
    }
  });

  it('keeps the pending events bounded under traffic of units never exposed, and still counts a late one', () => {
    const start = Date.UTC(2026, 0, 1);
    const db = openDb(':memory:');
    const store = sqliteEventStore(db.sqlite, false);
    const s = spec(start);
    const maxAgeDays = 5;
    // Pending events kept: at most the max age, the look-back and the ingestion lag back.
    const perDay = 40;
    const bound = (maxAgeDays + 14 + 1) * perDay;
    let id = 0;
    let peak = 0;
    let built: number | undefined;
    try {
      for (let day = 0; day < 60; day++) {
        const now = start + (day + 1) * DAY;
        const tracks = Array.from({ length: perDay }, (_, k) => ({
          id: `g${id++}`,
          ts: now - DAY + k * 1000,
          unit: `ghost${k % 10}-${day}`,
          event: 'purchase',
          value: 3,
          properties: null,
        }));
        // One unit exposed per day; on the last day, one of the ghosts of three days ago.
        const exposed = day === 59 ? `ghost0-${day - 3}` : `u${day}`;
        const exposures = [
          {
            id: `x${id++}`,
            ts: now - HOUR,
            unit: exposed,
            experiment: 'inc',
            variation: day % 2 ? 'treatment' : 'control',
          },
        ].map((e) => ({ ...e, flag: null, attributes: null }));
        store.writeGroup([{ environmentId: ENV, keyId: 'k', receivedAt: now, exposures, tracks }]);
        const incremental = computeResults(db.sqlite, s, new Date(now), {
          computation: 'incremental',
          eventsMaxAgeDays: maxAgeDays,
        });
        const { n } = db.sqlite.prepare('SELECT count(*) AS n FROM analysis_pending_events').get() as {
          n: number;
        };
        peak = Math.max(peak, n);
        built ??= stateId(db);
        if (day === 59) {
          expectClose(incremental, computeResults(db.sqlite, s, new Date(now)));
          // The ghost's purchases before its exposure were pending: its CUPED covariate counts them.
          expect(incremental.units.analysed).toBe(60);
        }
      }
      expect(stateId(db)).toBe(built);
      expect(peak).toBeLessThanOrEqual(bound);
      expect(peak).toBeLessThan((60 * perDay) / 2);
    } finally {
      db.close();
    }
  });

  it('refreshes without anything new: same results, same state', () => {
    const { db, store, start, rows } = stored(22);
    try {
      store.writeGroup([rows(() => true)]);
      const now = new Date(start + 5 * ROUND_MS);
      const a = computeResults(db.sqlite, spec(start), now, { computation: 'incremental' });
      const id = stateId(db);
      expectClose(computeResults(db.sqlite, spec(start), now, { computation: 'incremental' }), a);
      expect(stateId(db)).toBe(id);
    } finally {
      db.close();
    }
  });
});
