// The sufficient statistics of a spec's metrics from scratch (analysis-tables.ts), for the bench
// and the tests: what the results are computed from.
import type BetterSqlite3 from 'better-sqlite3';
import type { AnalysisSpec } from './analysis-spec.ts';
import { withAnalysisTables, type UnitCounts } from './analysis-tables.ts';
import type { DayRow } from './metric-sums.ts';

export interface SufficientStats {
  /** The phase's analysed time range, epoch ms. */
  start: number;
  end: number;
  days: DayRow[];
  counts: UnitCounts;
  /** The cap applied to each metric's per-unit value (null: none). */
  caps: (number | null)[];
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
