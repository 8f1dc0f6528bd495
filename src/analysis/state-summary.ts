// What the results read from a kept state once it is up to date: the caps, the group sums with
// percentile caps applied, and the unit counts of the health checks.
import { fixedCaps, multipleTable, sumsTable, unitsTable } from './state-tables.ts';
import type { AnalysisTables, UnitCounts } from './analysis-tables.ts';
import { usesCuped, variationIndex } from './metric-sql.ts';

/**
 * The unit counts from the state: the analysed units are the kept ones (by variation in the kept
 * sums), the excluded ones in several variations those kept as such, first exposed in the window.
 */
export function keptCounts(tables: AnalysisTables, id: number): UnitCounts {
  const { sqlite } = tables;
  const { multiple } = sqlite
    .prepare(`SELECT count(*) AS multiple FROM main.${multipleTable(id)} WHERE f >= @start AND f <= @end`)
    .get(tables.baseParams()) as { multiple: number };
  const counts: UnitCounts = { total: multiple, multipleVariations: multiple, unknownVariation: 0 };
  const rows = sqlite
    .prepare(`SELECT variation, sum(units) AS units FROM main.${sumsTable(id)} GROUP BY variation`)
    .all() as { variation: string; units: number }[];
  for (const row of rows) {
    counts.total += row.units;
    if (variationIndex(tables.spec, row.variation) < 0) counts.unknownVariation += row.units;
  }
  return counts;
}

/**
 * The caps from the kept values, and `temp.analysis_group_sums` from the kept sums: percentile-capped
 * metrics corrected by the units above their cap (capped minus uncapped contribution).
 */
export function summarise(tables: AnalysisTables, id: number): void {
  const { sqlite } = tables;
  const units = `main.${unitsTable(id)}`;
  const fixed = fixedCaps(tables);
  tables.caps = tables.findCaps(units);
  const corrected = tables.caps.flatMap((cap, i) => (cap !== null && fixed[i] === null ? [i] : []));
  const columns = ['units', ...tables.sumNames()];
  const correction = new Map<string, string>();
  for (const i of corrected) {
    const capped = tables.sumTerms(i, tables.caps[i]);
    const uncapped = tables.sumTerms(i, null);
    capped.forEach((t, k) => correction.set(t.name, `total((${t.term}) - (${uncapped[k]!.term}))`));
  }
  const above = corrected
    .map(
      (i) =>
        `p.m${i} > ${tables.caps[i]}${usesCuped(tables.spec, tables.spec.metrics[i]!) ? ` OR p.p${i} > ${tables.caps[i]}` : ''}`,
    )
    .join(' OR ');
  sqlite.exec('DROP TABLE IF EXISTS temp.analysis_group_sums');
  sqlite
    .prepare(
      `CREATE TEMP TABLE analysis_group_sums AS
       SELECT attrs, variation, day, ${columns.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM (
         SELECT attrs, variation, day, ${columns.join(', ')} FROM main.${sumsTable(id)}
         ${
           corrected.length === 0
             ? ''
             : `UNION ALL
         SELECT p.attrs, p.variation, p.day, 0, ${columns
           .slice(1)
           .map((c) => correction.get(c) ?? '0')
           .join(', ')}
         FROM ${units} p WHERE ${above} GROUP BY p.attrs, p.variation, p.day`
         })
       GROUP BY attrs, variation, day`,
    )
    .run(tables.baseParams());
}
