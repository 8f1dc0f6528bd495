// A metric's cap on its per-unit values, read from a table of them (analysis-tables.ts).
import type BetterSqlite3 from 'better-sqlite3';
import type { AnalysisMetric } from './analysis-spec.ts';

/**
 * Whether capping applies to a metric's per-unit value: not to those of the kinds whose value is
 * an indicator or a class (binomial, retention, repeat: 0 or 1; nps: a score's class).
 */
export function capsValues(metric: AnalysisMetric): boolean {
  return (
    metric.kind !== 'binomial' &&
    metric.kind !== 'retention' &&
    metric.kind !== 'repeat' &&
    metric.kind !== 'nps'
  );
}

/**
 * The cap of a metric's per-unit value: a fixed value, or a percentile of its non-zero values
 * (all of them in `valuesTable`: a unit missing there has zeros).
 */
export function metricCap(
  sqlite: BetterSqlite3.Database,
  metric: AnalysisMetric,
  i: number,
  valuesTable: string,
): number | null {
  const capping = metric.capping;
  if (!capping || !capsValues(metric)) return null;
  if (capping.type === 'value') return capping.value;
  const q = capping.percentile > 1 ? capping.percentile / 100 : capping.percentile;
  // Two ranges, not `OR`: on an index of the values each is counted off the index alone (an `OR`
  // reads every matching row from the table).
  const { c } = sqlite
    .prepare(
      `SELECT (SELECT count(*) FROM ${valuesTable} WHERE m${i} > 0) + (SELECT count(*) FROM ${valuesTable} WHERE m${i} < 0) AS c`,
    )
    .get() as { c: number };
  if (c === 0) return null;
  const rank = Math.max(0, Math.ceil(q * c) - 1); // nearest rank, from the smallest
  // Counted from the top, a high percentile is a short walk: the sorter keeps only that many rows
  // (or an index on the value is read from its end). `<> 0` written as two ranges: an index can
  // serve those.
  const row = sqlite
    .prepare(
      `SELECT m${i} AS v FROM ${valuesTable} WHERE m${i} > 0 OR m${i} < 0 ORDER BY m${i} DESC LIMIT 1 OFFSET ?`,
    )
    .get(c - 1 - rank) as { v: number } | undefined;
  return row?.v ?? null;
}
