// Analysis, side by side: full experiment results (5 metrics with CUPED, percentile capping, a ratio
// and a retention metric; SRM, daily series, power, breakdowns by two attributes) over 100k and 1M
// units with ~10 events per unit, next to the floor: a plain full scan of the same events table
// (`SELECT count(*), sum(value) FROM track_events`) measured in the same run on the same
// connection. Target: results within 5× the scan, growing linearly.
// Data is generated straight into the tables (file database in a temp dir); that time is not counted.
// Knobs: BENCH_SIZES (units, comma-separated; default 100000,1000000), BENCH_RUNS (best of; default
// 2 below 1M units, 1 from 1M, to stay within about 3 minutes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeResults } from '../../src/analysis/experiment-results.ts';
import { computeSufficientStats } from '../../src/analysis/sufficient-stats.ts';
import { openDb } from '../../src/db/open-db.ts';
import { benchSpec, generate } from './data.ts';

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

const rows: string[][] = [];
const measured: { units: number; perM: number; ratio: number }[] = [];
for (const units of SIZES) {
  const now = Date.now();
  const db = openDb(`file:${join(dir, `analysis-${units}.db`)}`);
  const g0 = performance.now();
  const events = generate(db, units, now);
  console.log(
    `${fmt(units)} units: generated ${fmt(events)} track events + ${fmt(units)} exposures in ${fmt((performance.now() - g0) / 1000, 1)} s`,
  );
  const spec = benchSpec(now);
  const RUNS = runsFor(units);
  {
    const scan = best(3, () => db.sqlite.prepare('SELECT count(*), sum(value) FROM track_events').get());
    const stats = best(RUNS, () => computeSufficientStats(db.sqlite, spec, new Date(now)));
    let results: ReturnType<typeof computeResults> | undefined;
    const full = best(RUNS, () => (results = computeResults(db.sqlite, spec, new Date(now))));
    const perM = (ms: number) => (ms / events) * 1e6;
    measured.push({ units, perM: perM(full), ratio: full / scan });
    rows.push([
      fmt(units),
      fmt(events),
      `${fmt(perM(scan))} ms`,
      `${fmt(perM(stats))} ms`,
      `${fmt(perM(full))} ms`,
      `${fmt(full / scan, 1)}×`,
      `${fmt(full / 1000, 2)} s`,
    ]);
    const goal = results!.metrics[0]!.comparisons[0]!;
    console.log(
      `  scan ${fmt(scan)} ms · sufficient stats ${fmt(stats)} ms · full results ${fmt(full)} ms ` +
        `(purchase lift ${fmt(100 * goal.relative.estimate!, 2)}%, ${goal.verdict}; ` +
        `${results!.breakdowns.dimensions.length} breakdown dimensions, ${results!.series[0]!.points.length} daily points)`,
    );
  }
  db.close();
  rmSync(join(dir, `analysis-${units}.db`), { force: true });
}

console.log(`\nper million track events (best of ${SIZES.map(runsFor).join('/')} runs)`);
const header = [
  'units',
  'track events',
  'full scan (floor)',
  'sufficient stats',
  'full results',
  'results / scan',
  'results total',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
const met = measured.filter((m) => m.ratio <= 5).map((m) => fmt(m.units));
console.log(
  `target: full results within 5× the scan, growing linearly with the events — ` +
    (met.length === measured.length ? 'met' : met.length ? `met at ${met.join(', ')} units only` : 'not met'),
);
if (measured.length > 1) {
  const [first, last] = [measured[0]!, measured[measured.length - 1]!];
  const growth = last.perM / first.perM;
  console.log(
    `growth: time per million events ×${fmt(growth, 2)} from ${fmt(first.units)} to ${fmt(last.units)} units ` +
      `(${growth <= 1.25 ? 'linear' : 'worse than linear'}; 1.00 = linear)`,
  );
}
rmSync(dir, { recursive: true, force: true });
