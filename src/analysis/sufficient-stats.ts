// Events → per-variation sufficient statistics, aggregated by SQLite. One pass over the metric
// events of the phase builds a per-unit table (every metric's value, CUPED pre-period value and
// ratio denominator as columns); a second, grouped query over the analysed units sums those per
// variation and day of first exposure. JS only adds up the (variations × days) rows.
// Conventions: docs/decisions/0005-analysis-conventions.md.
import type BetterSqlite3 from 'better-sqlite3';
import type { CrossMoments } from '../stats/index.ts';
import type { AnalysisMetric, AnalysisSpec } from './analysis-spec.ts';
import { SqlParams } from './sql-params.ts';

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Σx, Σx² over a metric's units, with CUPED's and ratio metrics' cross sums when they apply. */
export interface MetricSums {
  /** Units counted for this metric (fewer than the arm's units for a retention metric whose window is still open). */
  n: number;
  sum: number;
  sumSquares: number;
  pre?: CrossMoments;
  denominator?: CrossMoments;
}

/** Sums of the units of one variation first exposed on one day of the phase (day 0 = phase start). */
export interface DayRow {
  variation: number;
  day: number;
  units: number;
  metrics: MetricSums[];
}

export interface UnitCounts {
  /** Units first exposed in the phase (every variation, including the excluded ones). */
  total: number;
  /** Units seen in more than one variation: excluded from the analysis. */
  multipleVariations: number;
  /** Units whose variation is not one of the experiment's: excluded. */
  unknownVariation: number;
}

export interface SufficientStats {
  /** The phase's analysed time range, epoch ms. */
  start: number;
  end: number;
  days: DayRow[];
  counts: UnitCounts;
  /** The cap applied to each metric's per-unit value (null: none). */
  caps: (number | null)[];
}

/** Which variation index an event's variation string means: its key, or its position ("0", "1"). */
export function variationIndex(spec: AnalysisSpec, raw: string): number {
  const byKey = spec.variations.findIndex((v) => v.key === raw);
  if (byKey >= 0) return byKey;
  const n = /^\d+$/.test(raw) ? Number(raw) : -1;
  return n < spec.variations.length ? n : -1;
}

export function usesCuped(spec: AnalysisSpec, metric: AnalysisMetric): boolean {
  return spec.experiment.settings.cuped && metric.kind !== 'ratio' && metric.cupedLookbackDays > 0;
}

/** The SQL of one metric's per-unit columns over `track_events t` joined to `experiment_units u`. */
function metricColumns(spec: AnalysisSpec, metric: AnalysisMetric, i: number, p: SqlParams): string[] {
  const event = p.add(metric.eventName);
  const f = 'u.first_exposure_at';
  let during = `t.ts >= ${f} AND t.ts <= @end`;
  if (metric.kind === 'retention' && metric.retention) {
    const from = p.add(metric.retention.fromDays * DAY_MS);
    const to = p.add(metric.retention.toDays * DAY_MS);
    during = `t.ts >= ${f} + ${from} AND t.ts < ${f} + ${to} AND t.ts <= @end`;
  } else if (metric.windowHours !== null) {
    during += ` AND t.ts < ${f} + ${p.add(metric.windowHours * HOUR_MS)}`;
  }
  const amount = (cond: string, ev = event) => {
    if (metric.kind === 'binomial' || metric.kind === 'retention')
      return `max(CASE WHEN t.event = ${ev} AND ${cond} THEN 1 ELSE 0 END)`;
    if (metric.kind === 'count') return `sum(CASE WHEN t.event = ${ev} AND ${cond} THEN 1 ELSE 0 END)`;
    return `total(CASE WHEN t.event = ${ev} AND ${cond} THEN coalesce(t.value, 1) END)`;
  };
  const columns = [`${amount(during)} AS m${i}`];
  if (usesCuped(spec, metric)) {
    const lookback = p.add(metric.cupedLookbackDays * DAY_MS);
    columns.push(`${amount(`t.ts >= ${f} - ${lookback} AND t.ts < ${f}`)} AS p${i}`);
  }
  if (metric.kind === 'ratio' && metric.denominatorEventName) {
    columns.push(`${amount(during, p.add(metric.denominatorEventName))} AS d${i}`);
  }
  return columns;
}

function metricEvents(spec: AnalysisSpec): string[] {
  const names = new Set<string>();
  for (const m of spec.metrics) {
    names.add(m.eventName);
    if (m.kind === 'ratio' && m.denominatorEventName) names.add(m.denominatorEventName);
  }
  return [...names];
}

/** The largest look-back of any CUPED metric, in ms: how far before the phase events are read. */
function maxLookback(spec: AnalysisSpec): number {
  return Math.max(
    0,
    ...spec.metrics.filter((m) => usesCuped(spec, m)).map((m) => m.cupedLookbackDays * DAY_MS),
  );
}

/** The analysed units: first exposed in the phase, in one variation only. */
export const ANALYSED_UNITS = `u.environment_id = @env AND u.experiment = @exp
  AND u.first_exposure_at >= @start AND u.first_exposure_at <= @end AND u.multiple_variations = 0`;

/**
 * An open analysis: the per-unit temp table `temp.analysis_units` (variation, day, unit, first
 * exposure, m0, p0, d0, m1, …) of every analysed unit, built
 * for a spec, and the queries over it. Use inside `withAnalysisTables`, which drops the table.
 */
export class AnalysisTables {
  readonly start: number;
  readonly end: number;
  caps: (number | null)[] = [];

  constructor(
    readonly sqlite: BetterSqlite3.Database,
    readonly spec: AnalysisSpec,
    now: Date,
  ) {
    this.start = spec.phase.startedAt.getTime();
    this.end = Math.min((spec.phase.endedAt ?? now).getTime(), now.getTime());
  }

  baseParams(): Record<string, string | number> {
    const { environmentId, key } = this.spec.experiment;
    return { env: environmentId, exp: key, start: this.start, end: this.end };
  }

  /** Builds the per-unit table: one grouped pass over the metrics' events in the phase. */
  build(): void {
    const p = new SqlParams(this.baseParams());
    const columns = this.spec.metrics.flatMap((m, i) => metricColumns(this.spec, m, i, p));
    const events = metricEvents(this.spec).map((e) => p.add(e));
    const lo = p.add(this.start - maxLookback(this.spec));
    const names = columns.map((c) => c.slice(c.lastIndexOf(' AS ') + 4));
    this.sqlite.exec('DROP TABLE IF EXISTS temp.analysis_units');
    // Keyed by (variation, day, unit): the grouped sums read it in key order, without a sort.
    this.sqlite.exec(
      `CREATE TEMP TABLE analysis_units (variation TEXT, day INTEGER, unit TEXT, f INTEGER,
         ${names.map((n) => `${n} DEFAULT 0`).join(', ')}, PRIMARY KEY (variation, day, unit)) WITHOUT ROWID`,
    );
    // The analysed units keyed by unit alone: a smaller key than experiment_units' for the
    // lookup each event makes.
    this.sqlite.exec('DROP TABLE IF EXISTS temp.analysis_first');
    this.sqlite.exec(
      `CREATE TEMP TABLE analysis_first (unit TEXT PRIMARY KEY, variation TEXT, day INTEGER,
         first_exposure_at INTEGER) WITHOUT ROWID`,
    );
    this.sqlite
      .prepare(
        `INSERT INTO temp.analysis_first
         SELECT u.unit, u.variation, CAST((u.first_exposure_at - @start) / ${DAY_MS} AS INTEGER), u.first_exposure_at
         FROM experiment_units u WHERE ${ANALYSED_UNITS}`,
      )
      .run(this.baseParams());
    if (events.length > 0) {
      this.sqlite
        .prepare(
          `INSERT INTO temp.analysis_units
         SELECT u.variation, u.day, t.unit, u.first_exposure_at, ${columns.join(',\n  ')}
         FROM (SELECT unit, event, ts, value FROM track_events
               WHERE environment_id = @env AND event IN (${events.join(', ')}) AND ts >= ${lo} AND ts <= @end
               ORDER BY unit) t
         JOIN temp.analysis_first u ON u.unit = t.unit
         GROUP BY t.unit`,
        )
        .run(p.values);
    }
    // The units without any metric event: zeros (the defaults).
    this.sqlite.exec(
      `INSERT OR IGNORE INTO temp.analysis_units (variation, day, unit, f)
       SELECT variation, day, unit, first_exposure_at FROM temp.analysis_first`,
    );
    this.caps = this.spec.metrics.map((m, i) => this.cap(m, i));
  }

  /** The cap of a metric's per-unit value: a fixed value, or a percentile of its non-zero values. */
  private cap(metric: AnalysisMetric, i: number): number | null {
    const capping = metric.capping;
    if (!capping || metric.kind === 'binomial' || metric.kind === 'retention') return null;
    if (capping.type === 'value') return capping.value;
    const q = capping.percentile > 1 ? capping.percentile / 100 : capping.percentile;
    const { c } = this.sqlite
      .prepare(`SELECT count(*) AS c FROM temp.analysis_units WHERE m${i} <> 0`)
      .get() as { c: number };
    if (c === 0) return null;
    const offset = Math.max(0, Math.ceil(q * c) - 1); // nearest rank
    const row = this.sqlite
      .prepare(`SELECT m${i} AS v FROM temp.analysis_units WHERE m${i} <> 0 ORDER BY m${i} LIMIT 1 OFFSET ?`)
      .get(offset) as { v: number } | undefined;
    return row?.v ?? null;
  }

  /** Per metric, the SQL of its sum columns over `temp.analysis_units p`. */
  sumColumns(metricIndexes: number[] = this.spec.metrics.map((_, i) => i)): string {
    const out: string[] = [];
    for (const i of metricIndexes) {
      const metric = this.spec.metrics[i]!;
      const cap = this.caps[i];
      const capped = (col: string) =>
        cap === null || cap === undefined ? `p.${col}` : `min(p.${col}, ${cap})`;
      const x = capped(`m${i}`);
      const eligible =
        metric.kind === 'retention' && metric.retention
          ? `(p.f + ${metric.retention.toDays * DAY_MS} <= @end)`
          : '1';
      out.push(`sum(${eligible}) AS n${i}`, `total(${eligible} * ${x}) AS s${i}`);
      out.push(`total(${eligible} * ${x} * ${x}) AS ss${i}`);
      if (usesCuped(this.spec, metric)) {
        const pre = capped(`p${i}`);
        out.push(`total(${eligible} * ${pre}) AS ps${i}`, `total(${eligible} * ${pre} * ${pre}) AS pss${i}`);
        out.push(`total(${eligible} * ${x} * ${pre}) AS psp${i}`);
      }
      if (metric.kind === 'ratio' && metric.denominatorEventName) {
        const d = `p.d${i}`;
        out.push(`total(${d}) AS ds${i}`, `total(${d} * ${d}) AS dss${i}`, `total(${x} * ${d}) AS dsp${i}`);
      }
    }
    return out.join(', ');
  }

  /** Reads the sum columns of `sumColumns` from a result row. */
  readSums(row: Record<string, number>, metricIndexes: number[] = this.spec.metrics.map((_, i) => i)) {
    return metricIndexes.map((i): MetricSums => {
      const sums: MetricSums = {
        n: row[`n${i}`] ?? 0,
        sum: row[`s${i}`] ?? 0,
        sumSquares: row[`ss${i}`] ?? 0,
      };
      if (`ps${i}` in row)
        sums.pre = { sum: row[`ps${i}`]!, sumSquares: row[`pss${i}`]!, sumProduct: row[`psp${i}`]! };
      if (`ds${i}` in row) {
        sums.denominator = { sum: row[`ds${i}`]!, sumSquares: row[`dss${i}`]!, sumProduct: row[`dsp${i}`]! };
      }
      return sums;
    });
  }

  /** Sums per (variation, day of first exposure); units in unknown variations are left out. */
  dailySums(): DayRow[] {
    const rows = this.sqlite
      .prepare(
        `SELECT p.variation AS variation, p.day AS day, count(*) AS units, ${this.sumColumns()}
         FROM temp.analysis_units p GROUP BY p.variation, p.day`,
      )
      .all(this.baseParams()) as (Record<string, number> & { variation: string })[];
    const out: DayRow[] = [];
    for (const row of rows) {
      const variation = variationIndex(this.spec, row.variation);
      if (variation < 0) continue;
      out.push({ variation, day: row.day, units: row.units, metrics: this.readSums(row) });
    }
    return out;
  }

  unitCounts(): UnitCounts {
    const rows = this.sqlite
      .prepare(
        `SELECT u.variation AS variation, count(*) AS units, sum(u.multiple_variations) AS multiple
         FROM experiment_units u
         WHERE u.environment_id = @env AND u.experiment = @exp
           AND u.first_exposure_at >= @start AND u.first_exposure_at <= @end
         GROUP BY u.variation`,
      )
      .all(this.baseParams()) as { variation: string; units: number; multiple: number }[];
    const counts: UnitCounts = { total: 0, multipleVariations: 0, unknownVariation: 0 };
    for (const row of rows) {
      counts.total += row.units;
      counts.multipleVariations += row.multiple;
      if (variationIndex(this.spec, row.variation) < 0) counts.unknownVariation += row.units - row.multiple;
    }
    return counts;
  }

  drop(): void {
    this.sqlite.exec(
      'DROP TABLE IF EXISTS temp.analysis_units; DROP TABLE IF EXISTS temp.analysis_first; DROP TABLE IF EXISTS temp.analysis_dims; DROP TABLE IF EXISTS temp.analysis_attr_sums',
    );
  }
}

/**
 * Runs `fn` on freshly built analysis tables inside one read transaction (a consistent view of
 * the events even while the writer commits), then drops the temp tables.
 */
export function withAnalysisTables<T>(
  sqlite: BetterSqlite3.Database,
  spec: AnalysisSpec,
  now: Date,
  fn: (tables: AnalysisTables) => T,
): T {
  const tables = new AnalysisTables(sqlite, spec, now);
  const run = sqlite.transaction(() => {
    try {
      tables.build();
      return fn(tables);
    } finally {
      tables.drop();
    }
  });
  // SQLite may sort with helper threads (the per-unit grouping is mostly a sort); back after.
  const threads = sqlite.pragma('threads', { simple: true }) as number;
  sqlite.pragma('threads = 2');
  try {
    return run();
  } finally {
    sqlite.pragma(`threads = ${threads}`);
  }
}

/** The sufficient statistics of a spec's metrics, per variation and day of first exposure. */
export function computeSufficientStats(
  sqlite: BetterSqlite3.Database,
  spec: AnalysisSpec,
  now: Date,
): SufficientStats {
  return withAnalysisTables(sqlite, spec, now, (t) => ({
    start: t.start,
    end: t.end,
    days: t.dailySums(),
    counts: t.unitCounts(),
    caps: t.caps,
  }));
}

/** Adds `b` into `a` (same metric). */
export function addSums(a: MetricSums, b: MetricSums): MetricSums {
  const add = (x?: CrossMoments, y?: CrossMoments) =>
    x && y
      ? {
          sum: x.sum + y.sum,
          sumSquares: x.sumSquares + y.sumSquares,
          sumProduct: x.sumProduct + y.sumProduct,
        }
      : (x ?? y);
  const out: MetricSums = { n: a.n + b.n, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares };
  const pre = add(a.pre, b.pre);
  const denominator = add(a.denominator, b.denominator);
  if (pre) out.pre = pre;
  if (denominator) out.denominator = denominator;
  return out;
}

export function emptySums(metric: AnalysisMetric, spec: AnalysisSpec): MetricSums {
  const out: MetricSums = { n: 0, sum: 0, sumSquares: 0 };
  if (usesCuped(spec, metric)) out.pre = { sum: 0, sumSquares: 0, sumProduct: 0 };
  if (metric.kind === 'ratio' && metric.denominatorEventName)
    out.denominator = { sum: 0, sumSquares: 0, sumProduct: 0 };
  return out;
}
