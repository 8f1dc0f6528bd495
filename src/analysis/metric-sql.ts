// The SQL of a spec's metrics, shared by the from-scratch pass (analysis-tables.ts) and the kept
// state's refresh (analysis-state.ts): which events they read, each unit's value columns, and which
// units are analysed.
import type { AnalysisMetric, AnalysisSpec } from './analysis-spec.ts';
import type { SqlParams } from './sql-params.ts';

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Which variation index an event's variation string means: its key, or its position ("0", "1"). */
export function variationIndex(spec: AnalysisSpec, raw: string): number {
  const byKey = spec.variations.findIndex((v) => v.key === raw);
  if (byKey >= 0) return byKey;
  const n = /^\d+$/.test(raw) ? Number(raw) : -1;
  return n < spec.variations.length ? n : -1;
}

/** CUPED applies to every kind but `ratio` and `nps` (a respondent's earlier score is not a covariate of every unit). */
export function usesCuped(spec: AnalysisSpec, metric: AnalysisMetric): boolean {
  return (
    spec.experiment.settings.cuped &&
    metric.kind !== 'ratio' &&
    metric.kind !== 'nps' &&
    metric.cupedLookbackDays > 0
  );
}

/** A repeat metric's count that makes a unit count (2 when the metric has none). */
export function repeatAtLeast(metric: AnalysisMetric): number {
  return Math.trunc(metric.repeat?.atLeast ?? 2);
}

/**
 * An `nps` metric's per-unit column: its latest score's time and class in one integer,
 * `ts × NPS_SCALE + class` (1 detractor 0–6, 2 passive 7–8, 3 promoter 9–10; 0 = no score), so
 * that the latest score is a `max` and values merge exactly. A tie at the same millisecond keeps
 * the higher class.
 */
export const NPS_SCALE = 4;

/**
 * The SQL of one metric's per-unit columns over the sorted event stream `t` (`e` the event's
 * code, `eventCode`; `ts`; `v` its amount: the value, or 1 without one) joined to the unit's
 * first exposure `f`. Every event read has ts ≤ end, so no condition repeats that bound. Values
 * by kind: 0/1 (`binomial`, `retention`), a count (`count`, `repeat`: its threshold is in the
 * sum terms, metric-sums.ts), a sum of amounts (`mean`, `ratio`), the latest score (`nps`).
 */
export function metricColumns(
  spec: AnalysisSpec,
  metric: AnalysisMetric,
  i: number,
  events: EventList,
  p: SqlParams,
  f = 'u.f',
): string[] {
  let during = `t.ts >= ${f}`;
  if (metric.kind === 'retention' && metric.retention) {
    const from = p.add(metric.retention.fromDays * DAY_MS);
    during = `t.ts >= ${f} + ${from} AND t.ts < ${f} + ${p.add(metric.retention.toDays * DAY_MS)}`;
  } else if (metric.windowHours !== null) {
    during += ` AND t.ts < ${f} + ${p.add(metric.windowHours * HOUR_MS)}`;
  }
  const amount = (cond: string, event = metric.eventName) => {
    const match = `${eventMatch(events, event, metric.kind === 'nps')} AND ${cond}`;
    if (metric.kind === 'binomial' || metric.kind === 'retention') return `max(${match})`;
    if (metric.kind === 'count' || metric.kind === 'repeat') return `sum(${match})`;
    if (metric.kind === 'nps') {
      const score = 'CASE WHEN t.v >= 9 THEN 3 WHEN t.v >= 7 THEN 2 ELSE 1 END';
      return `max(CASE WHEN ${match} THEN t.ts * ${NPS_SCALE} + ${score} ELSE 0 END)`;
    }
    return `total(CASE WHEN ${match} THEN t.v END)`;
  };
  const columns = [`${amount(during)} AS m${i}`];
  if (usesCuped(spec, metric)) {
    const lookback = p.add(metric.cupedLookbackDays * DAY_MS);
    columns.push(`${amount(`t.ts < ${f} AND t.ts >= ${f} - ${lookback}`)} AS p${i}`);
  }
  if (metric.kind === 'ratio' && metric.denominatorEventName) {
    columns.push(`${amount(during, metric.denominatorEventName)} AS d${i}`);
  }
  return columns;
}

/**
 * The metrics' events by name, an event's position being its code; `scored`: the positions an
 * `nps` metric reads, whose events are coded apart when their value is not a score.
 */
export type EventList = string[] & { scored?: number[] };

/** The code of an event of position `k` whose value is not a 0–10 score, when `k` is scored. */
const unscored = (k: number) => -1 - k;

/**
 * The event of `t` (`track_events`) as its position in `events`: the per-metric conditions then
 * compare integers. An event an `nps` metric reads is coded `−1 − position` when its `value` is not
 * a number in [0, 10] (none, or not a number): the amount carried with it cannot tell a missing
 * value from 1.
 */
export function eventCode(events: EventList, add: (value: string) => string): string {
  const scored = new Set(events.scored ?? []);
  const code = (k: number) =>
    scored.has(k) ? `CASE WHEN t.value >= 0 AND t.value <= 10 THEN ${k} ELSE ${unscored(k)} END` : `${k}`;
  return `CASE t.event ${events.map((e, k) => `WHEN ${add(e)} THEN ${code(k)}`).join(' ')} END`;
}

/** Whether `t.e` is the event `name`: only its scored events for an `nps` metric (`scoredOnly`). */
function eventMatch(events: EventList, name: string, scoredOnly: boolean): string {
  const k = events.indexOf(name);
  return events.scored?.includes(k) && !scoredOnly ? `t.e IN (${k}, ${unscored(k)})` : `t.e = ${k}`;
}

export function metricEvents(spec: AnalysisSpec): EventList {
  const names = new Set<string>();
  for (const m of spec.metrics) {
    names.add(m.eventName);
    if (m.kind === 'ratio' && m.denominatorEventName) names.add(m.denominatorEventName);
  }
  const events: EventList = [...names];
  const scored = new Set(
    spec.metrics.filter((m) => m.kind === 'nps').map((m) => events.indexOf(m.eventName)),
  );
  if (scored.size > 0) events.scored = [...scored];
  return events;
}

/** The largest look-back of any CUPED metric, in ms: how far before the phase events are read. */
export function maxLookback(spec: AnalysisSpec): number {
  return Math.max(
    0,
    ...spec.metrics.filter((m) => usesCuped(spec, m)).map((m) => m.cupedLookbackDays * DAY_MS),
  );
}

/** The analysed units: first exposed in the phase, in one variation only. */
export const ANALYSED_UNITS = `u.environment_id = @env AND u.experiment = @exp
  AND u.first_exposure_at >= @start AND u.first_exposure_at <= @end AND u.multiple_variations = 0`;
