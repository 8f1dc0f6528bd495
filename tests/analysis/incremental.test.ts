// Incremental refresh = from-scratch computation: random event streams stored in rounds through the
// event store (late events, late exposures, units in two variations, CUPED pre-periods, windows,
// retention, caps, breakdown attributes), full results compared after every round.
import { describe, expect, it } from 'vitest';
import { computeResults, type ExperimentResults } from '../../src/analysis/experiment-results.ts';
import { openDb } from '../../src/db/open-db.ts';
import { sqliteEventStore } from '../../src/events/events-store.ts';
import type { ExposureRow, TrackRow } from '../../src/events/parse-events.ts';
import { DAY, HOUR, makeSpec, metric, rng } from './helpers.ts';

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

/** Units over the phase, their events over [first − 20 d, first + 12 d], each with an arrival round. */
function stream(seed: number, start: number, options: StreamOptions): Arrival[] {
  const random = rng(seed);
  const out: Arrival[] = [];
  let id = 0;
  const arrival = (ts: number) => {
    let round = Math.max(0, Math.ceil((ts - start) / ROUND_MS) - 1);
    const r = random();
    if (r < 0.15)
      round += 1 + Math.floor(random() * 3); // late: old ts, new rowid
    else if (r < 0.2) round -= 1; // ahead of the clock: ts past the analysis end
    return Math.min(ROUNDS - 1, Math.max(0, round));
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
    // Units never exposed, with events: pending until exposed, if ever.
    if (random() < 0.1) {
      const ts = start + Math.floor(random() * ROUNDS * ROUND_MS);
      out.push({
        round: arrival(ts),
        track: { id: `t${id++}`, ts, unit: `ghost${u}`, event: 'purchase', value: 5, properties: null },
      });
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
    ],
    { settings: { cuped: true, sequential: true } },
  );
}

/** Every leaf of `actual` equals `expected`'s: numbers to 1e-9 relative (float summation order). */
function expectClose(actual: unknown, expected: unknown, path = 'results'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
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

function stateId(db: ReturnType<typeof openDb>): number | undefined {
  return (
    db.sqlite.prepare("SELECT id FROM analysis_states WHERE experiment = 'inc'").get() as
      { id: number } | undefined
  )?.id;
}

/** Stores the stream round by round; after each, incremental and from-scratch results must agree. */
function run(seed: number, options: StreamOptions): { rebuilds: number } {
  const start = Date.UTC(2026, 0, 1);
  const db = openDb(':memory:');
  const store = sqliteEventStore(db.sqlite, false);
  const arrivals = stream(seed, start, options);
  const s = spec(start);
  let rebuilds = 0;
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
      });
      const id = stateId(db);
      if (id !== previous) rebuilds++;
      previous = id;
      const full = computeResults(db.sqlite, s, now);
      expectClose(incremental, full, `seed ${seed} round ${round}`);
    }
  } finally {
    db.close();
  }
  return { rebuilds };
}

describe('incremental analysis', () => {
  it('equals the from-scratch results after every round, built once and then only updated', () => {
    for (const seed of [1, 2, 3, 4, 5]) expect(run(seed, { lateExposures: false }).rebuilds).toBe(1);
  });

  it('equals the from-scratch results when late exposures move first exposures earlier (rebuilds)', () => {
    for (const seed of [11, 12, 13]) expect(run(seed, { lateExposures: true }).rebuilds).toBeGreaterThan(1);
  });
});
