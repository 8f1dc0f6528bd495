// The daily cumulative series of a phase, for charts: per goal metric, the relative effect and its
// interval as of each day's end (units first exposed by then, outcomes as of now; uncorrected).
// Conventions: docs/decisions/0005-analysis-conventions.md (Daily series).
import { analyze, type Interval } from '../stats/index.ts';
import type { AnalysisSpec } from './analysis-spec.ts';
import { DAY_MS } from './metric-sql.ts';
import { addSums, emptySums, type DayRow } from './metric-sums.ts';
import { statsRequest } from './stats-input.ts';

export interface SeriesPoint {
  day: number;
  /** End of the day (exclusive), ISO: the point counts units first exposed before it. */
  date: string;
  units: number;
  comparisons: { variation: string; estimate: number | null; ci: Interval; pValue: number | null }[];
}

/** Cumulative relative effect per day of the phase, per goal metric (uncorrected, per day). */
export function dailySeries(spec: AnalysisSpec, days: DayRow[], start: number, end: number) {
  const lastDay = Math.max(0, Math.floor((end - start) / DAY_MS));
  const goals = spec.metrics.map((m, i) => ({ m, i })).filter(({ m }) => m.role === 'goal');
  const series = goals.map(({ m }) => ({ metric: m.key, points: [] as SeriesPoint[] }));
  const sorted = [...days].sort((a, b) => a.day - b.day);
  const units = spec.variations.map(() => 0);
  const sums = spec.metrics.map((m) => spec.variations.map(() => emptySums(m, spec)));
  let next = 0;
  for (let day = 0; day <= lastDay; day++) {
    for (; next < sorted.length && sorted[next]!.day <= day; next++) {
      const row = sorted[next]!;
      units[row.variation]! += row.units;
      row.metrics.forEach((s, k) => (sums[k]![row.variation] = addSums(sums[k]![row.variation]!, s)));
    }
    goals.forEach(({ m, i }, g) => {
      const response = analyze(statsRequest(spec, m, sums[i]!));
      series[g]!.points.push({
        day,
        date: new Date(Math.min(start + (day + 1) * DAY_MS, end)).toISOString(),
        units: units.reduce((s, u) => s + u, 0),
        comparisons: response.comparisons.map((c) => ({
          variation: c.variation,
          estimate: c.relative.estimate,
          ci: c.relative.ci,
          pValue: c.relative.pValue,
        })),
      });
    });
  }
  return series;
}
