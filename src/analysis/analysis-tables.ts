// Events → per-variation sufficient statistics, aggregated by SQLite. One pass over the metric
// events of the phase builds a per-unit table (every metric's value, CUPED pre-period value and
// ratio denominator as columns); a second, grouped query over the analysed units sums those per
// attribute set, variation and day of first exposure, which the daily sums and the breakdowns
// re-group. JS only adds up the (variations × days) rows.
// Conventions: docs/decisions/0005-analysis-conventions.md.
import type BetterSqlite3 from 'better-sqlite3';
import type { AnalysisSpec } from './analysis-spec.ts';
import { metricCap } from './metric-caps.ts';
import {
  ANALYSED_UNITS,
  DAY_MS,
  eventCode,
  maxLookback,
  metricColumns,
  metricEvents,
  variationIndex,
  type EventList,
} from './metric-sql.ts';
import { sumTerms, type DayRow, type MetricSums, type SumTerm } from './metric-sums.ts';
import { SqlParams } from './sql-params.ts';

/** From this share of the table, the metric events are read by a plain scan, not the event index. */
const SCAN_SHARE = 0.4;

export interface UnitCounts {
  /** Units first exposed in the phase (every variation, including the excluded ones). */
  total: number;
  /** Units seen in more than one variation: excluded from the analysis. */
  multipleVariations: number;
  /** Units whose variation is not one of the experiment's: excluded. */
  unknownVariation: number;
}

/**
 * An open analysis, built for a spec: the analysed units `temp.analysis_first` (unit, variation,
 * day, first exposure `f`), their attributes `temp.analysis_dims`, the per-unit values
 * `temp.analysis_units` (unit, m0, p0, d0, m1, …) of those with metric events, and their sums per
 * (attributes, variation, day) `temp.analysis_group_sums`; and the queries over them. Use inside
 * `withAnalysisTables`, which drops the tables.
 */
export class AnalysisTables {
  readonly start: number;
  readonly end: number;
  caps: (number | null)[] = [];
  counts: UnitCounts | undefined;

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

  /**
   * Builds the per-unit table: one grouped pass over the metrics' events in the phase, then the
   * caps, then the sums per (attributes, variation, day) that every later query reads.
   */
  build(): void {
    const names = this.buildUnits();
    // Every analysed unit is read once, in key order, with its values and attributes joined on the
    // way (zeros for a unit without metric events).
    this.summarise(
      'temp.analysis_units',
      `(SELECT d.attrs AS attrs, a.variation AS variation, a.day AS day, a.f AS f,
          ${names.map((n) => `coalesce(s.${n}, 0) AS ${n}`).join(', ')}
        FROM temp.analysis_first a LEFT JOIN temp.analysis_units s ON s.unit = a.unit
          LEFT JOIN temp.analysis_dims d ON d.unit = a.unit)`,
    );
  }

  /** The events read for the spec's metrics: their condition and parameters (`t` = track_events). */
  eventFilter(): { where: string; unindexed: string; since: string; params: SqlParams; events: EventList } {
    const events = metricEvents(this.spec);
    const p = new SqlParams(this.baseParams());
    const eventList = events.map((e) => p.add(e)).join(', ');
    const lo = p.add(this.start - maxLookback(this.spec));
    // `unindexed`: the same condition kept off the indexes (`+`), for a read by rowid range;
    // `since`: the events after `@prevEnd` (≥ the phase start), one range of the event index.
    const condition = (c: string, from = `${c}t.ts >= ${lo}`) =>
      `${c}t.environment_id = @env AND ${c}t.event IN (${eventList}) AND ${from} AND ${c}t.ts <= @end`;
    return {
      where: condition(''),
      unindexed: condition('+'),
      since: condition('', 't.ts > @prevEnd'),
      params: p,
      events,
    };
  }

  /** The per-unit value columns of the spec (m0, p0, d0, m1, …) and the SQL computing them. */
  valueColumns(p: SqlParams, events: EventList, f?: string): { names: string[]; columns: string[] } {
    const columns = this.spec.metrics.flatMap((m, i) => metricColumns(this.spec, m, i, events, p, f));
    return { names: columns.map((c) => c.slice(c.lastIndexOf(' AS ') + 4)), columns };
  }

  /**
   * The analysed units `temp.analysis_first`, their attributes `temp.analysis_dims` and the values
   * of those with metric events `temp.analysis_units`, from the events; the value column names.
   */
  buildUnits(): string[] {
    const { where, params: p, events } = this.eventFilter();
    const { names, columns } = this.valueColumns(p, events);
    this.drop();
    this.buildDimensions();
    // The analysed units keyed by unit alone: a smaller key than experiment_units' for the lookup
    // each event makes.
    this.sqlite.exec(
      'CREATE TEMP TABLE analysis_first (unit TEXT PRIMARY KEY, variation TEXT, day INTEGER, f INTEGER) WITHOUT ROWID',
    );
    this.sqlite
      .prepare(
        `INSERT INTO temp.analysis_first
         SELECT u.unit, u.variation, CAST((u.first_exposure_at - @start) / ${DAY_MS} AS INTEGER), u.first_exposure_at
         FROM experiment_units u WHERE ${ANALYSED_UNITS}`,
      )
      .run(this.baseParams());
    // The analysed units that have metric events; the others' values are all zeros.
    this.sqlite.exec(
      `CREATE TEMP TABLE analysis_units (unit TEXT PRIMARY KEY, ${names.join(', ')}) WITHOUT ROWID`,
    );
    if (events.length > 0) {
      // Sorted by unit in a co-routine, the events meet their unit's row in key order (a lookup
      // that stays in cache, where lookups in arrival order miss it once the units outgrow it) and
      // the grouping needs no sort of its own. The event is carried as a small integer code: the
      // per-metric conditions then compare integers, not text.
      this.sqlite
        .prepare(
          `INSERT INTO temp.analysis_units
           SELECT t.unit, ${columns.join(',\n  ')}
           FROM (SELECT t.unit AS unit, ${eventCode(events, p.add.bind(p))} AS e, t.ts AS ts, coalesce(t.value, 1) AS v
                 FROM track_events t ${this.readsWholeTable(where, p.values) ? 'NOT INDEXED' : ''}
                 WHERE ${where}
                 ORDER BY t.unit) t
           JOIN temp.analysis_first u ON u.unit = t.unit
           GROUP BY t.unit`,
        )
        .run(p.values);
    }
    return names;
  }

  /**
   * The caps, from the per-unit values in `valuesTable` (units without a row there have zeros),
   * then `temp.analysis_group_sums` from `rows`: every analysed unit (attrs, variation, day, f and
   * its values). Sums are additive: grouped once by (attributes, variation, day), the daily sums
   * and every breakdown dimension are re-groupings of this small table, not passes over the units.
   */
  summarise(valuesTable: string, rows: string): void {
    this.caps = this.findCaps(valuesTable);
    this.sqlite.exec('DROP TABLE IF EXISTS temp.analysis_group_sums');
    this.sqlite
      .prepare(
        `CREATE TEMP TABLE analysis_group_sums AS
         SELECT p.attrs AS attrs, p.variation AS variation, p.day AS day, count(*) AS units, ${this.sumColumns()}
         FROM ${rows} p
         GROUP BY p.attrs, p.variation, p.day`,
      )
      .run(this.baseParams());
  }

  /**
   * Whether the metric events are so large a share of `track_events` that one sequential pass over
   * the table costs less than the event index's table lookup per event (measured: a lookup costs
   * about 2.5 times a row of a plain scan). The count through the index stops at that share.
   */
  private readsWholeTable(where: string, params: Record<string, string | number>): boolean {
    const { rows } = this.sqlite
      .prepare(
        `SELECT coalesce((SELECT max(rowid) FROM track_events) - (SELECT min(rowid) FROM track_events) + 1, 0) AS rows`,
      )
      .get() as { rows: number };
    const enough = Math.ceil(rows * SCAN_SHARE);
    const { n } = this.sqlite
      .prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM track_events t WHERE ${where} LIMIT ${enough})`)
      .get(params) as { n: number };
    return rows > 0 && n >= enough;
  }

  /** Each analysed unit's attributes: the ones sent with its first exposure in the phase. */
  private buildDimensions(): void {
    this.sqlite.exec('CREATE TEMP TABLE analysis_dims (unit TEXT PRIMARY KEY, attrs TEXT) WITHOUT ROWID');
    // The bare `attributes` column comes from the row holding min(ts): the unit's first exposure.
    this.sqlite
      .prepare(
        `INSERT INTO temp.analysis_dims
         SELECT unit, attributes FROM (
           SELECT e.unit AS unit, min(e.ts) AS ts, e.attributes AS attributes FROM exposures e
           WHERE e.environment_id = @env AND e.experiment = @exp AND e.ts >= @start AND e.ts <= @end
           GROUP BY e.unit)
         WHERE attributes IS NOT NULL`,
      )
      .run(this.baseParams());
  }

  /** Every metric's cap, from the per-unit values in `valuesTable`. */
  findCaps(valuesTable: string): (number | null)[] {
    return this.spec.metrics.map((m, i) => metricCap(this.sqlite, m, i, valuesTable));
  }

  /** One metric's sum terms over a per-unit row (metric-sums.ts), for this spec. */
  sumTerms(
    i: number,
    cap: number | null | undefined,
    end?: string,
    column?: (name: string) => string,
  ): SumTerm[] {
    return sumTerms(this.spec, i, cap, end, column);
  }

  /**
   * Per metric, the SQL of its sum columns over the per-unit rows `p`, with the caps found (or
   * `caps`); `sign` (a column of ±1) makes a row add or take away its unit's contribution.
   */
  sumColumns(
    metricIndexes: number[] = this.spec.metrics.map((_, i) => i),
    options: { caps?: (number | null)[]; end?: string; sign?: string } = {},
  ): string {
    const caps = options.caps ?? this.caps;
    return metricIndexes
      .flatMap((i) => this.sumTerms(i, caps[i], options.end))
      .map((t) => `${t.agg}(${options.sign ? `${options.sign} * ` : ''}${t.term}) AS ${t.name}`)
      .join(', ');
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

  /** The names of the sum columns of `sumColumns`. */
  sumNames(metricIndexes?: number[]): string[] {
    return [...this.sumColumns(metricIndexes).matchAll(/ AS (\w+)/g)].map((m) => m[1]!);
  }

  /** Sums per (variation, day of first exposure); units in unknown variations are left out. */
  dailySums(): DayRow[] {
    const sums = this.sumNames().map((n) => `sum(a.${n}) AS ${n}`);
    const rows = this.sqlite
      .prepare(
        `SELECT a.variation AS variation, a.day AS day, sum(a.units) AS units, ${sums.join(', ')}
         FROM temp.analysis_group_sums a GROUP BY a.variation, a.day`,
      )
      .all() as (Record<string, number> & { variation: string })[];
    const out: DayRow[] = [];
    for (const row of rows) {
      const variation = variationIndex(this.spec, row.variation);
      if (variation < 0) continue;
      out.push({ variation, day: row.day, units: row.units, metrics: this.readSums(row) });
    }
    return out;
  }

  /** The unit counts, as read in the events' snapshot when they were read there. */
  unitCounts(): UnitCounts {
    return this.counts ?? this.countUnits();
  }

  countUnits(): UnitCounts {
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
    for (const table of ['analysis_dims', 'analysis_first', 'analysis_units', 'analysis_group_sums'])
      this.sqlite.exec(`DROP TABLE IF EXISTS temp.${table}`);
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
  return withSortThreads(sqlite, run);
}

/** Runs `fn` with SQLite allowed to sort with a helper thread (the per-unit passes are mostly sorts). */
export function withSortThreads<T>(sqlite: BetterSqlite3.Database, fn: () => T): T {
  const threads = sqlite.pragma('threads', { simple: true }) as number;
  sqlite.pragma('threads = 2');
  try {
    return fn();
  } finally {
    sqlite.pragma(`threads = ${threads}`);
  }
}
