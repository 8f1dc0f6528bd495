// A second floor for the analysis benchmark: the least a from-scratch computation on SQLite's row
// engine pays for the per-unit values, whatever the plan. The metric events are copied (untimed)
// into a table clustered by unit, as if ingestion had kept them in that order, so the timed query
// has no filter, no sort and no out-of-order lookup left: it only joins each event to its unit in
// key order and evaluates the spec's own per-unit value columns (metric-sql.ts) while grouping.
// Keeping such a layout is not free (ingestion would pay a random b-tree write per event), so this
// bounds what any plan could reach; results from scratch also need the sums, caps and
// attributes on top of it. When this alone is above the target, no rewording of the SQL meets it.
import type BetterSqlite3 from 'better-sqlite3';
import { AnalysisTables } from '../../src/analysis/analysis-tables.ts';
import type { AnalysisSpec } from '../../src/analysis/analysis-spec.ts';
import { ANALYSED_UNITS, eventCode } from '../../src/analysis/metric-sql.ts';

export interface ClusteredFloor {
  /** Best time of the per-unit aggregation over the unit-clustered copy, in ms. */
  ms: number;
  /** Units with metric events: the same count the analysis's per-unit pass gives (checked). */
  units: number;
}

export function clusteredAggregation(
  sqlite: BetterSqlite3.Database,
  spec: AnalysisSpec,
  now: Date,
  runs: number,
  best: (runs: number, fn: () => void) => number,
): ClusteredFloor {
  const tables = new AnalysisTables(sqlite, spec, now);
  const { where, params: p, events } = tables.eventFilter();
  const { names, columns } = tables.valueColumns(p, events);
  sqlite.exec(
    `CREATE TEMP TABLE bench_clustered_events (unit TEXT, rid INTEGER, e INTEGER, ts INTEGER, v REAL,
       PRIMARY KEY (unit, rid)) WITHOUT ROWID;
     CREATE TEMP TABLE bench_units (unit TEXT PRIMARY KEY, f INTEGER) WITHOUT ROWID;`,
  );
  try {
    sqlite
      .prepare(
        `INSERT INTO temp.bench_clustered_events
         SELECT t.unit, t.rowid, ${eventCode(events, p.add.bind(p))}, t.ts, coalesce(t.value, 1)
         FROM track_events t WHERE ${where} ORDER BY t.unit, t.rowid`,
      )
      .run(p.values);
    sqlite
      .prepare(
        `INSERT INTO temp.bench_units SELECT u.unit, u.first_exposure_at FROM experiment_units u WHERE ${ANALYSED_UNITS}`,
      )
      .run(tables.baseParams());
    const totals = names.map((n) => `total(${n}) AS ${n}`).join(', ');
    const query = sqlite.prepare(
      `SELECT count(*) AS units, ${totals} FROM (
         SELECT t.unit, ${columns.join(', ')}
         FROM temp.bench_clustered_events t JOIN temp.bench_units u ON u.unit = t.unit
         GROUP BY t.unit)`,
    );
    let floor: Record<string, number> = {};
    const ms = best(runs, () => {
      floor = query.get(p.values) as Record<string, number>;
    });
    // The floor must compute what the analysis computes: same units, same column totals.
    const real = sqlite.transaction(() => {
      try {
        tables.buildUnits();
        return sqlite.prepare(`SELECT count(*) AS units, ${totals} FROM temp.analysis_units`).get() as Record<
          string,
          number
        >;
      } finally {
        tables.drop();
      }
    })();
    for (const key of Object.keys(real)) {
      if (Math.abs(real[key]! - floor[key]!) > 1e-9 * Math.max(1, Math.abs(real[key]!)))
        throw new Error(`clustered floor differs from the analysis on ${key}: ${floor[key]} vs ${real[key]}`);
    }
    return { ms, units: floor.units! };
  } finally {
    sqlite.exec('DROP TABLE IF EXISTS temp.bench_clustered_events; DROP TABLE IF EXISTS temp.bench_units;');
  }
}
