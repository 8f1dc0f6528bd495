// Analysis, side by side: full experiment results (5 metrics with CUPED, percentile capping, a ratio
// and a retention metric; SRM, daily series, power, breakdowns by two attributes) over 100k and 1M
// units with ~10 events per unit, next to the floor: a plain full scan of the same events table
// (`SELECT count(*), sum(value) FROM track_events`) measured in the same run on the same
// connection. Target: results within 5× the scan, growing linearly.
// A second floor, for from scratch: the per-unit aggregation alone over a copy of the metric events
// clustered by unit (clustered-floor.ts), the least any plan of SQLite's row engine pays.
// Measured per size: results from scratch, and results by an incremental refresh of the kept state
// (analysis-state.ts) built two days of traffic earlier — the incremental refresh is the number
// the target is about; from scratch and the state build are the cost of a rebuild.
// Data is generated straight into the tables (file database in a temp dir); that time is not counted.
// Knobs: BENCH_SIZES (units, comma-separated; default 100000,1000000), BENCH_RUNS (best of; default
// 2 below 1M units, 1 from 1M, to stay within about 3 minutes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeResults } from '../../src/analysis/experiment-results.ts';
import { computeSufficientStats } from '../../src/analysis/sufficient-stats.ts';
import { openDb } from '../../src/db/open-db.ts';
import { clusteredAggregation } from './clustered-floor.ts';
import { benchSpec, DAY, generate } from './data.ts';

const SIZES = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const runsFor = (units: number) => Number(process.env.BENCH_RUNS ?? (units >= 1_000_000 ? 1 : 2));

const dir = mkdtempSync(join(tmpdir(), 'flagstaff-bench-analysis-'));
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function best(runs: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

/** Largest relative difference between two results' numbers (incremental vs from scratch). */
function maxRelativeDifference(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    return Math.max(0, ...Object.keys(y).map((k) => maxRelativeDifference(x[k], y[k])));
  }
  return a === b ? 0 : Infinity;
}

const rows: string[][] = [];
const measured: {
  units: number;
  perM: number;
  fullRatio: number;
  floorRatio: number;
  ratio: number;
  quarterRatio: number;
}[] = [];
const REFRESH_MS = 15 * 60_000;
for (const units of SIZES) {
  const now = Date.now();
  const db = openDb(`file:${join(dir, `analysis-${units}.db`)}`);
  const g0 = performance.now();
  // Everything up to two days ago, then two more days of traffic (new units, late events) after
  // the state was built: more than a scheduled refresh meets (every 15 minutes by default).
  const data = generate(db, units, now, now - 2 * DAY);
  const spec = benchSpec(now);
  const b0 = performance.now();
  computeResults(db.sqlite, spec, new Date(now - 2 * DAY), { computation: 'rebuild' });
  const build = performance.now() - b0;
  const stateId = () => (db.sqlite.prepare('SELECT id FROM analysis_states').get() as { id: number }).id;
  const built = stateId();
  const RUNS = runsFor(units);
  const refresh = (at: number) => {
    let results: ReturnType<typeof computeResults> | undefined;
    // Once: a second refresh would find nothing new.
    const ms = best(1, () => {
      results = computeResults(db.sqlite, spec, new Date(at), { computation: 'incremental' });
    });
    return { ms, results: results! };
  };
  // Two days of traffic arrive, a refresh; then 15 more minutes (the scheduler's default period), a
  // refresh at `now`, compared with from scratch.
  const g1 = performance.now();
  const days = data.arrive(now - REFRESH_MS);
  const twoDays = refresh(now - REFRESH_MS);
  const g2 = performance.now();
  const minutes = data.arrive(Infinity);
  const events = data.tracks + days + minutes;
  console.log(
    `${fmt(units)} units: generated ${fmt(events)} track events + ${fmt(units)} exposures in ` +
      `${fmt((g1 - g0 - build) / 1000, 1)} s; arriving after the state build: ${fmt(days)} track events ` +
      `over two days (${fmt((100 * days) / events, 1)}%), then ${fmt(minutes)} in 15 minutes ` +
      `(${fmt((performance.now() - g2) / 1000, 1)} s to store)`,
  );
  const scan = best(3, () => db.sqlite.prepare('SELECT count(*), sum(value) FROM track_events').get());
  const stats = best(RUNS, () => computeSufficientStats(db.sqlite, spec, new Date(now)));
  const clustered = clusteredAggregation(db.sqlite, spec, new Date(now), RUNS, best);
  let full: ReturnType<typeof computeResults> | undefined;
  const scratch = best(RUNS, () => (full = computeResults(db.sqlite, spec, new Date(now))));
  const quarter = refresh(now);
  const rebuilt = stateId() !== built;
  const perM = (ms: number) => (ms / events) * 1e6;
  measured.push({
    units,
    perM: perM(twoDays.ms),
    fullRatio: scratch / scan,
    floorRatio: clustered.ms / scan,
    ratio: twoDays.ms / scan,
    quarterRatio: quarter.ms / scan,
  });
  rows.push([
    fmt(units),
    fmt(events),
    `${fmt(perM(scan))} ms`,
    `${fmt(perM(scratch))} ms`,
    `${fmt(scratch / scan, 1)}×`,
    `${fmt(clustered.ms / scan, 1)}×`,
    `${fmt(build / 1000, 2)} s`,
    `${fmt(perM(twoDays.ms))} ms`,
    `${fmt(twoDays.ms / scan, 1)}×`,
    `${fmt(perM(quarter.ms))} ms`,
    `${fmt(quarter.ms / scan, 1)}×`,
  ]);
  const goal = quarter.results.metrics[0]!.comparisons[0]!;
  console.log(
    `  scan ${fmt(scan)} ms · per-unit aggregation over events clustered by unit (lower bound from scratch) ` +
      `${fmt(clustered.ms)} ms (${fmt(clustered.units)} units) · sufficient stats ${fmt(stats)} ms · full results from scratch ${fmt(scratch)} ms · ` +
      `state build (two days earlier) ${fmt(build)} ms · refresh after two days ${fmt(twoDays.ms)} ms · ` +
      `refresh after 15 more minutes ${fmt(quarter.ms)} ms${rebuilt ? ' (REBUILT: not incremental)' : ''}\n` +
      `  incremental vs from scratch: largest relative difference ${maxRelativeDifference(quarter.results, full).toExponential(1)}; ` +
      `purchase lift ${fmt(100 * goal.relative.estimate!, 2)}%, ${goal.verdict}; ` +
      `${quarter.results.breakdowns.dimensions.length} breakdown dimensions, ${quarter.results.series[0]!.points.length} daily points`,
  );
  db.close();
  rmSync(join(dir, `analysis-${units}.db`), { force: true });
}

console.log(
  `\nper million track events (from scratch: best of ${SIZES.map(runsFor).join('/')} runs; refresh: 1 run)`,
);
const header = [
  'units',
  'track events',
  'full scan (floor)',
  'from scratch',
  'scratch / scan',
  'clustered agg / scan',
  'state build',
  'refresh, 2 days new',
  '/ scan',
  'refresh, 15 min new',
  '/ scan',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
const verdict = (ratios: number[]) => {
  const met = measured.filter((_, i) => ratios[i]! <= 5).map((m) => fmt(m.units));
  return met.length === measured.length
    ? 'met'
    : met.length
      ? `met at ${met.join(', ')} units only`
      : 'not met';
};
console.log(
  `target (results within 5× the scan): incremental refresh after two days of traffic — ` +
    `${verdict(measured.map((m) => m.ratio))}; after 15 minutes — ${verdict(measured.map((m) => m.quarterRatio))}; ` +
    `from scratch — ${verdict(measured.map((m) => m.fullRatio))} (its lower bound on SQLite, the clustered ` +
    `aggregation alone — ${verdict(measured.map((m) => m.floorRatio))})`,
);
if (measured.length > 1) {
  const [first, last] = [measured[0]!, measured[measured.length - 1]!];
  const growth = last.perM / first.perM;
  console.log(
    `growth: two-day refresh time per million events ×${fmt(growth, 2)} from ${fmt(first.units)} to ${fmt(last.units)} units ` +
      `(${growth <= 1.25 ? 'linear' : 'worse than linear'}; 1.00 = linear)`,
  );
}
rmSync(dir, { recursive: true, force: true });
