// Generated experiment data for the analysis benchmark, written straight into the tables in
// arrival (time) order, as ingestion would have stored it: rows are bucketed by hour before the
// inserts, so the table's rowid order follows time as it does in production.
import type { AnalysisSpec } from '../../src/analysis/analysis-spec.ts';
import type { Db } from '../../src/db/open-db.ts';

export const DAY = 86_400_000;
const HOUR = 3_600_000;
export const ENV = 'env_bench';
export const EXP = 'bench-exp';
const COUNTRIES = [
  'US',
  'DE',
  'FR',
  'GB',
  'JP',
  'BR',
  'IN',
  'CA',
  'ES',
  'IT',
  'NL',
  'SE',
  'PL',
  'MX',
  'AU',
  'KR',
];
const PLATFORMS = ['ios', 'android', 'web'];
const EVENTS = ['exposure', 'pageview', 'visit', 'add_to_cart', 'purchase', 'search'];

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Generated {
  /** Track events stored by `generate`. */
  tracks: number;
  /**
   * Stores what arrived after the cutoff (or after the previous call) up to `until`, as ingestion
   * would; the number of track events.
   */
  arrive: (until: number) => number;
}

/**
 * `units` units over 27 days (50/50), ~10 track events each: page views, searches, visits,
 * add-to-cart, purchases (some in the CUPED pre-period). 3% of the track events arrive up to 3 days
 * late (old ts, newer rowid). Stores what arrived by `cutoff` (events dated after `now` included,
 * as before the split: the table is the same in the end); `arrive` stores the others.
 */
export function generate(db: Db, units: number, now: number, cutoff = now): Generated {
  const sqlite = db.sqlite;
  const random = rng(units);
  const start = now - 28 * DAY;
  const capacity = units * 14 + 1000;
  const unitOf = new Int32Array(capacity);
  const tsOf = new Float64Array(capacity);
  const kindOf = new Uint8Array(capacity);
  const valueOf = new Float64Array(capacity);
  const arrivalOf = new Float64Array(capacity);
  const variationOf = new Uint8Array(units);
  const firstOf = new Float64Array(units);
  let rows = 0;
  const add = (unit: number, kind: number, ts: number, value = NaN) => {
    unitOf[rows] = unit;
    tsOf[rows] = ts;
    arrivalOf[rows] = kind > 0 && random() < 0.03 ? ts + Math.floor(random() * 3 * DAY) : ts;
    kindOf[rows] = kind;
    valueOf[rows++] = value;
  };
  for (let u = 0; u < units; u++) {
    const treated = random() < 0.5;
    const first = start + Math.floor(random() * 27 * DAY);
    variationOf[u] = treated ? 1 : 0;
    firstOf[u] = first;
    add(u, 0, first);
    const latent = random();
    const views = 2 + Math.floor(random() * 6);
    for (let k = 0; k < views; k++) add(u, 1, first - 2 * DAY + Math.floor(random() * 9 * DAY));
    const searches = Math.floor(random() * 4);
    for (let k = 0; k < searches; k++) add(u, 5, first + Math.floor(random() * 5 * DAY));
    const visits = Math.floor(random() * 4);
    for (let k = 0; k < visits; k++) add(u, 2, first + Math.floor(random() * 10 * DAY));
    const carts = Math.floor(random() * (2 + 3 * latent));
    for (let k = 0; k < carts; k++) add(u, 3, first + Math.floor(random() * 3 * DAY), 1);
    if (random() < 0.3 * latent) add(u, 4, first - Math.floor(random() * 10 * DAY) - 1, 20 + 60 * latent);
    if (random() < (treated ? 0.12 : 0.1) + 0.2 * latent) {
      add(u, 4, first + Math.floor(random() * 5 * DAY), 20 + 60 * latent + 40 * random() + (treated ? 2 : 0));
    }
  }
  // Counting sort by hour: arrival order.
  const t0 = start - 12 * DAY;
  const buckets = Math.ceil((now + 15 * DAY - t0) / HOUR) + 1;
  const counts = new Int32Array(buckets + 1);
  for (let i = 0; i < rows; i++) counts[Math.floor((arrivalOf[i]! - t0) / HOUR) + 1]!++;
  for (let b = 1; b <= buckets; b++) counts[b]! += counts[b - 1]!;
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[counts[Math.floor((arrivalOf[i]! - t0) / HOUR)]!++] = i;
  const later = (i: number) => arrivalOf[i]! > cutoff && tsOf[i]! <= now;

  sqlite.pragma('synchronous = OFF');
  // Indexes are built after the load (a sort), as a bulk import would.
  sqlite.exec(`DROP INDEX IF EXISTS exposures_dedup_idx; DROP INDEX IF EXISTS exposures_experiment_idx;
    DROP INDEX IF EXISTS track_events_dedup_idx; DROP INDEX IF EXISTS track_events_event_idx;`);
  const insertUnit = sqlite.prepare(
    `INSERT INTO experiment_units (environment_id, experiment, unit, first_exposure_at, variation, multiple_variations)
     VALUES ('${ENV}', '${EXP}', ?, ?, ?, ?)`,
  );
  const insertExposure = sqlite.prepare(
    `INSERT INTO exposures (environment_id, id, ts, unit, experiment, variation, flag, attributes, key_id, received_at)
     VALUES ('${ENV}', ?, ?, ?, '${EXP}', ?, 'bench-flag', ?, 'key_bench', ?)`,
  );
  // 100 rows per statement: a quarter of the per-row statement overhead of single-row inserts.
  const PER = 100;
  const trackSql = (n: number) =>
    `INSERT INTO track_events (environment_id, id, ts, unit, event, value, properties, key_id, received_at) VALUES ` +
    Array.from({ length: n }, () => `('${ENV}', ?, ?, ?, ?, ?, NULL, 'key_bench', ?)`).join(', ');
  const insertTracks = sqlite.prepare(trackSql(PER));
  const insertTrack = sqlite.prepare(trackSql(1));
  const pending: (string | number | null)[] = [];
  const variations = ['control', 'treatment'];
  let tracks = 0;
  const store = (stored: (i: number) => boolean) => {
    const before = tracks;
    sqlite.transaction(() => {
      for (let k = 0; k < rows; k++) {
        const i = order[k]!;
        if (!stored(i)) continue;
        const u = unitOf[i]!;
        const ts = tsOf[i]!;
        if (kindOf[i] === 0) {
          insertUnit.run(`u${u}`, firstOf[u]!, variations[variationOf[u]!]!, multipleOf[u]!);
          const country = COUNTRIES[Math.min(COUNTRIES.length - 1, Math.floor(countryOf[u]!))]!;
          const attrs = `{"country":"${country}","platform":"${PLATFORMS[u % 3]}"}`;
          insertExposure.run(`x${u}`, ts, `u${u}`, variations[variationOf[u]!]!, attrs, ts);
        } else {
          const value = valueOf[i]!;
          pending.push(
            `t${i}`,
            ts,
            `u${u}`,
            EVENTS[kindOf[i]!]!,
            Number.isNaN(value) ? null : value,
            arrivalOf[i]!,
          );
          tracks++;
          if (pending.length === PER * 6) {
            insertTracks.run(pending);
            pending.length = 0;
          }
        }
      }
      for (let k = 0; k < pending.length; k += 6) insertTrack.run(pending.slice(k, k + 6));
      pending.length = 0;
    })();
    return tracks - before;
  };
  const multipleOf = Uint8Array.from({ length: units }, () => (random() < 0.002 ? 1 : 0));
  const countryOf = Float64Array.from({ length: units }, () => -Math.log(1 - random()) * 4);
  store((i) => !later(i));
  sqlite.exec(`CREATE UNIQUE INDEX exposures_dedup_idx ON exposures (ts, id);
    CREATE INDEX exposures_experiment_idx ON exposures (environment_id, experiment, ts);
    CREATE UNIQUE INDEX track_events_dedup_idx ON track_events (ts, id);
    CREATE INDEX track_events_event_idx ON track_events (environment_id, event, ts);`);
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.pragma('synchronous = FULL');
  let from = cutoff;
  const arrive = (until: number) => {
    const stored = store((i) => later(i) && arrivalOf[i]! > from && arrivalOf[i]! <= until);
    from = until;
    return stored;
  };
  return { tracks, arrive };
}

export function benchSpec(now: number): AnalysisSpec {
  const m = (key: string, o: Partial<AnalysisSpec['metrics'][number]>): AnalysisSpec['metrics'][number] => ({
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
    ...o,
  });
  return {
    experiment: {
      id: 'exp_bench',
      key: EXP,
      environmentId: ENV,
      status: 'running',
      settings: {
        alpha: 0.05,
        sided: 'two',
        engine: 'frequentist',
        sequential: true,
        sequentialTuning: 5000,
        cuped: true,
        correction: 'holm',
      },
    },
    phase: {
      number: 1,
      startedAt: new Date(now - 28 * DAY),
      endedAt: null,
      weights: [0.5, 0.5],
      coverage: 1,
    },
    variations: [
      { key: 'control', weight: 0.5 },
      { key: 'treatment', weight: 0.5 },
    ],
    metrics: [
      m('purchase', {}),
      m('revenue', {
        kind: 'mean',
        eventName: 'purchase',
        windowHours: 72,
        capping: { type: 'percentile', percentile: 0.99 },
      }),
      m('pageviews', { role: 'secondary', kind: 'count', eventName: 'pageview' }),
      m('carts-per-view', {
        role: 'secondary',
        kind: 'ratio',
        eventName: 'add_to_cart',
        denominatorEventName: 'pageview',
      }),
      m('week-visit', {
        role: 'guardrail',
        kind: 'retention',
        eventName: 'visit',
        retention: { fromDays: 1, toDays: 7 },
      }),
    ],
  };
}
