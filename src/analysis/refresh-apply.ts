// The write side of a refresh (analysis-state.ts): in a short write transaction, the plan of
// refresh-plan.ts applied to the kept state — a rebuild (state-rebuild.ts) or each changed unit's
// new − old contribution to the kept sums — and the summary tables the results read.
import type { Plan } from './refresh-plan.ts';
import { rebuildState } from './state-rebuild.ts';
import { keptCounts, summarise } from './state-summary.ts';
import type { AnalysisTables } from './analysis-tables.ts';
import { DAY_MS } from './metric-sql.ts';
import {
  cappedColumns,
  fixedCaps,
  multipleTable,
  readState,
  sumsTable,
  unitsTable,
  type StateRow,
} from './state-tables.ts';

/**
 * How a value column of a new event's unit merges into the kept one: indicators and an nps
 * metric's latest score (time and class in one integer) take the max, sums and counts add.
 */
function merge(tables: AnalysisTables, name: string): string {
  const kind = tables.spec.metrics[Number(name.slice(1))]!.kind;
  return kind === 'binomial' || kind === 'retention' || kind === 'nps'
    ? `max(s.${name}, d.${name})`
    : `s.${name} + d.${name}`;
}

/**
 * In the write transaction: applies the plan to the state and builds the summary tables from it.
 * False when the state is no longer the one the plan was made from.
 */
export function apply(tables: AnalysisTables, plan: Plan): boolean {
  const { sqlite } = tables;
  const current = readState(tables);
  const same = (a: StateRow | null, b: StateRow | null) =>
    a?.id === b?.id &&
    a?.track_rowid === b?.track_rowid &&
    a?.exposure_rowid === b?.exposure_rowid &&
    a?.end_ms === b?.end_ms &&
    a?.events_deleted === b?.events_deleted;
  if (!same(current, plan.state)) return false;
  const { marks, names, pendingFrom } = plan;
  const watermarks = {
    end: tables.end,
    track: marks.trackRowid,
    exposure: marks.exposureRowid,
    pendingFrom,
  };
  const id =
    plan.kind === 'delta' && current
      ? updateState(tables, current, names)
      : rebuildState(tables, current, names);
  sqlite
    .prepare(
      `UPDATE analysis_states SET end_ms = @end, track_rowid = @track, exposure_rowid = @exposure,
         pending_from = @pendingFrom WHERE id = @id`,
    )
    .run({ ...watermarks, id });
  sqlite.prepare('DELETE FROM analysis_pending_events WHERE state_id = ? AND ts < ?').run(id, pendingFrom);
  sqlite.exec(`INSERT OR REPLACE INTO main.${multipleTable(id)} SELECT unit, f FROM temp.analysis_multiple`);
  sqlite
    .prepare(
      `INSERT INTO analysis_pending_events (state_id, unit, event, ts, value)
       SELECT ?, unit, event, ts, value FROM temp.analysis_new_pending`,
    )
    .run(id);
  summarise(tables, id);
  tables.counts = keptCounts(tables, id);
  return true;
}

/**
 * Applies the changes of `prepareDelta` to the state: each changed unit's old contribution to the
 * kept sums is taken away and its new one added (units whose retention window ended since count
 * as changed); the state's id.
 */
function updateState(tables: AnalysisTables, state: StateRow, names: string[]): number {
  const { sqlite, spec } = tables;
  const units = `main.${unitsTable(state.id)}`;
  const params = { ...tables.baseParams(), prevEnd: state.end_ms };
  sqlite.exec('CREATE TEMP TABLE analysis_changed (unit TEXT PRIMARY KEY) WITHOUT ROWID');
  for (const source of ['temp.analysis_delta_values', 'temp.analysis_appear', 'temp.analysis_removed'])
    sqlite.exec(`INSERT OR IGNORE INTO temp.analysis_changed SELECT unit FROM ${source}`);
  for (const m of spec.metrics) {
    if (m.kind !== 'retention' || !m.retention) continue;
    sqlite
      .prepare(
        `INSERT OR IGNORE INTO temp.analysis_changed SELECT unit FROM ${units}
         WHERE f > @prevEnd - @window AND f <= @end - @window`,
      )
      .run({ ...params, window: m.retention.toDays * DAY_MS });
  }
  // Each changed unit's contribution to the sums, new minus old (a unit that appears: new only; one
  // removed: old only), per (attributes, variation, day).
  const fixed = fixedCaps(tables);
  const metrics = spec.metrics.map((_, i) => i);
  const merged = (n: string) => (n === 'f' ? 's.f' : `coalesce(${merge(tables, n)}, s.${n})`);
  const terms = (end: string, column: (n: string) => string) =>
    metrics.flatMap((i) => tables.sumTerms(i, fixed[i], end, column));
  const newTerms = terms('@end', merged);
  const oldTerms = terms('@prevEnd', (n) => `s.${n}`);
  const appearTerms = terms('@end', (n) => (n === 'f' ? 's.f' : `coalesce(d.${n}, 0)`));
  const columns = ['units', ...tables.sumNames()];
  const changes = [
    `SELECT s.attrs, s.variation, s.day, 0 AS units,
       ${newTerms.map((t, k) => `${t.term === oldTerms[k]!.term ? '0' : `${t.agg}((${t.term}) - (${oldTerms[k]!.term}))`} AS ${t.name}`).join(', ')}
     FROM temp.analysis_changed c CROSS JOIN ${units} s ON s.unit = c.unit
       LEFT JOIN temp.analysis_delta_values d ON d.unit = c.unit
     WHERE c.unit NOT IN (SELECT unit FROM temp.analysis_removed)
     GROUP BY s.attrs, s.variation, s.day`,
    `SELECT s.attrs, s.variation, s.day, count(*), ${appearTerms.map((t) => `${t.agg}(${t.term})`).join(', ')}
     FROM temp.analysis_appear s LEFT JOIN temp.analysis_delta_values d ON d.unit = s.unit
     GROUP BY s.attrs, s.variation, s.day`,
    `SELECT s.attrs, s.variation, s.day, -count(*), ${oldTerms.map((t) => `${t.agg}(-(${t.term}))`).join(', ')}
     FROM temp.analysis_removed r CROSS JOIN ${units} s ON s.unit = r.unit
     GROUP BY s.attrs, s.variation, s.day`,
  ];
  sqlite.prepare(`CREATE TEMP TABLE analysis_contrib AS ${changes.join(' UNION ALL ')}`).run(params);
  // Most changed units leave the indexed (capped) values as they were: those rows are rewritten
  // without those columns, which spares the indexes (capped metrics add up: no new amount, no change).
  const capped = cappedColumns(tables);
  const cappedUnchanged = ['1', ...capped.map((n) => `d.${n} = 0`)].join(' AND ');
  const updates = [
    { set: names.filter((n) => !capped.includes(n)), where: cappedUnchanged },
    { set: names, where: `NOT (${cappedUnchanged})` },
  ];
  for (const { set, where } of updates) {
    if (set.length === 0) continue;
    sqlite.exec(
      `UPDATE ${units} AS s SET (${set.join(', ')}) =
         (SELECT ${set.map((n) => merge(tables, n)).join(', ')} FROM temp.analysis_delta_values d WHERE d.unit = s.unit)
       WHERE s.unit IN (SELECT d.unit FROM temp.analysis_delta_values d WHERE ${where})`,
    );
  }
  sqlite.exec(`DELETE FROM ${units} WHERE unit IN (SELECT unit FROM temp.analysis_removed)`);
  sqlite.exec(
    `INSERT INTO ${units} SELECT s.unit, s.variation, s.day, s.f, s.attrs${names
      .map((n) => `, coalesce(d.${n}, 0)`)
      .join('')}
     FROM temp.analysis_appear s LEFT JOIN temp.analysis_delta_values d ON d.unit = s.unit`,
  );
  sqlite
    .prepare(
      'DELETE FROM analysis_pending_events WHERE state_id = ? AND unit IN (SELECT unit FROM temp.analysis_appear)',
    )
    .run(state.id);
  // The kept sums plus the changes, re-grouped (a few thousand rows); a group left without units
  // goes, as it would not exist in a from-scratch computation.
  const sums = `main.${sumsTable(state.id)}`;
  sqlite.exec(
    `CREATE TEMP TABLE analysis_sums_new AS
     SELECT attrs, variation, day, ${columns.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM (
       SELECT attrs, variation, day, ${columns.join(', ')} FROM ${sums}
       UNION ALL SELECT * FROM temp.analysis_contrib)
     GROUP BY attrs, variation, day HAVING sum(units) > 0`,
  );
  sqlite.exec(`DELETE FROM ${sums}`);
  sqlite.exec(`INSERT INTO ${sums} SELECT * FROM temp.analysis_sums_new`);
  return state.id;
}
