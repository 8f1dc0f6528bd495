// Results by dimension: any attribute sent with the exposures, read from each unit's first
// exposure in the phase. The top values of each dimension by units are kept, the rest are grouped
// as "other"; every value gets the same per-variation comparison as the whole experiment, for the
// goal metrics, without multiple-comparison correction (hence the caveat in the response).
import { analyze, type Comparison } from '../stats/index.ts';
import { readComparison, type ComparisonReading } from './comparison-reading.ts';
import { SqlParams } from './sql-params.ts';
import { armMean, statsRequest } from './stats-input.ts';
import type { AnalysisTables } from './analysis-tables.ts';
import { variationIndex } from './metric-sql.ts';
import { emptySums, type MetricSums } from './metric-sums.ts';

export const OTHER_VALUE = 'other';
export const NOT_SET_VALUE = '(not set)';

export const BREAKDOWN_CAVEAT =
  'Breakdowns compare many slices at once, and these p-values and intervals are not corrected for that: ' +
  'with 20 slices one is expected to look significant by chance alone. Treat a slice that differs as a ' +
  'hypothesis to test in a new experiment, not as a result.';

export interface BreakdownOptions {
  /** Values kept per dimension (by units); the rest are grouped as "other". */
  maxValues: number;
  /** Dimensions broken down, the ones most units have first. */
  maxDimensions: number;
}

export type BreakdownComparison = Comparison & ComparisonReading;

export interface BreakdownValue {
  value: string;
  units: number;
  metrics: {
    key: string;
    variations: { key: string; units: number; mean: number | null }[];
    comparisons: BreakdownComparison[];
  }[];
}

export interface Breakdown {
  dimension: string;
  /** Distinct values seen (before grouping). */
  cardinality: number;
  values: BreakdownValue[];
}

export interface Breakdowns {
  caveat: string;
  dimensions: Breakdown[];
}

/** A JSON scalar of `d.attrs` at `path` as text (true/false spelled out); null when absent or not a scalar. */
const scalarText = (type: string, value: string) =>
  `CASE ${type} WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'text' THEN ${value}
     WHEN 'integer' THEN CAST(${value} AS TEXT) WHEN 'real' THEN CAST(${value} AS TEXT) END`;

export function computeBreakdowns(tables: AnalysisTables, options: BreakdownOptions): Breakdowns {
  const { sqlite, spec } = tables;
  const goals = spec.metrics.map((m, i) => ({ m, i })).filter(({ m }) => m.role === 'goal');
  const metricIndexes = goals.map((g) => g.i);
  const seen = sqlite
    .prepare(
      `SELECT j.key AS dimension, ${scalarText('j.type', 'j.value')} AS value, sum(a.units) AS units
       FROM temp.analysis_group_sums a, json_each(a.attrs) j
       WHERE j.type IN ('text', 'integer', 'real', 'true', 'false')
       GROUP BY dimension, value`,
    )
    .all() as { dimension: string; value: string; units: number }[];
  const byDimension = new Map<string, { value: string; units: number }[]>();
  for (const row of seen) {
    const list = byDimension.get(row.dimension) ?? [];
    list.push(row);
    byDimension.set(row.dimension, list);
  }
  const total = (list: { units: number }[]) => list.reduce((s, v) => s + v.units, 0);
  const dimensions = [...byDimension.entries()]
    .sort((a, b) => total(b[1]) - total(a[1]) || a[0].localeCompare(b[0]))
    .slice(0, options.maxDimensions);
  return {
    caveat: BREAKDOWN_CAVEAT,
    dimensions: dimensions.map(([dimension, values]) => {
      // Kept, a value spelled like a group's label would share that group's bucket (a merged slice
      // in a kept slot); it is grouped as "other" instead.
      const kept = values
        .filter((v) => v.value !== OTHER_VALUE && v.value !== NOT_SET_VALUE)
        .sort((a, b) => b.units - a.units || a.value.localeCompare(b.value))
        .slice(0, options.maxValues)
        .map((v) => v.value);
      return {
        dimension,
        cardinality: values.length,
        values: breakdownValues(tables, dimension, kept, metricIndexes),
      };
    }),
  };
}

function breakdownValues(
  tables: AnalysisTables,
  dimension: string,
  kept: string[],
  metricIndexes: number[],
): BreakdownValue[] {
  const { sqlite, spec } = tables;
  const p = new SqlParams(tables.baseParams());
  const path = p.add(`$."${dimension.replace(/["\\]/g, (c) => `\\${c}`)}"`);
  const value = scalarText(`json_type(a.attrs, ${path})`, `json_extract(a.attrs, ${path})`);
  const keptList = kept.length ? kept.map((v) => p.add(v)).join(', ') : `NULL`;
  const sums = tables.sumNames(metricIndexes).map((n) => `sum(a.${n}) AS ${n}`);
  const rows = sqlite
    .prepare(
      `SELECT CASE WHEN (${value}) IS NULL THEN '${NOT_SET_VALUE}'
                   WHEN (${value}) IN (${keptList}) THEN (${value}) ELSE '${OTHER_VALUE}' END AS bucket,
              a.variation AS variation, sum(a.units) AS units${sums.length ? `, ${sums.join(', ')}` : ''}
       FROM temp.analysis_group_sums a
       GROUP BY bucket, a.variation`,
    )
    .all(p.values) as (Record<string, number> & { bucket: string; variation: string })[];
  const buckets = new Map<string, { units: number[]; sums: MetricSums[][] }>();
  const metrics = metricIndexes.map((i) => spec.metrics[i]!);
  for (const row of rows) {
    const v = variationIndex(spec, row.variation);
    if (v < 0) continue;
    let bucket = buckets.get(row.bucket);
    if (!bucket) {
      bucket = {
        units: spec.variations.map(() => 0),
        sums: metrics.map((m) => spec.variations.map(() => emptySums(m, spec))),
      };
      buckets.set(row.bucket, bucket);
    }
    bucket.units[v] = row.units;
    tables.readSums(row, metricIndexes).forEach((s, k) => (bucket.sums[k]![v] = s));
  }
  const order = [...kept, OTHER_VALUE, NOT_SET_VALUE];
  return [...buckets.entries()]
    .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))
    .map(([bucket, { units, sums }]) => ({
      value: bucket,
      units: units.reduce((s, u) => s + u, 0),
      metrics: metrics.map((metric, k) => {
        const arms = sums[k]!;
        const response = analyze(statsRequest(spec, metric, arms));
        return {
          key: metric.key,
          variations: spec.variations.map((v, i) => ({
            key: v.key,
            units: arms[i]!.n,
            mean: armMean(metric, arms[i]!),
          })),
          comparisons: response.comparisons.map((c) => ({
            ...c,
            ...readComparison(spec, metric, c, `${dimension} = ${bucket}`),
          })),
        };
      }),
    }));
}
