// The kept state of an experiment's incremental analysis (analysis-state.ts): its row in
// `analysis_states`, the per-state tables named by its id, the temp tables a refresh works in, and
// what the kept tables' layout depends on (fingerprint, caps applied, indexed columns).
import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { AnalysisSpec } from './analysis-spec.ts';
import type { AnalysisTables } from './analysis-tables.ts';
import { capsValues } from './metric-caps.ts';
import { maxLookback, usesCuped } from './metric-sql.ts';

export interface StateRow {
  id: number;
  fingerprint: string;
  end_ms: number;
  track_rowid: number;
  exposure_rowid: number;
  pending_from: number;
  events_deleted: number;
}

/** Where the event tables stand in the refresh's snapshot. */
export interface Marks {
  trackRowid: number;
  exposureRowid: number;
}

const TEMP_TABLES = [
  'analysis_delta_events',
  'analysis_changed',
  'analysis_contrib',
  'analysis_sums_new',
  'analysis_touched',
  'analysis_appear',
  'analysis_removed',
  'analysis_delta_values',
  'analysis_new_pending',
  'analysis_multiple',
];

export const unitsTable = (id: number) => `analysis_state_units_${id}`;
export const sumsTable = (id: number) => `analysis_state_sums_${id}`;
export const multipleTable = (id: number) => `analysis_state_multiple_${id}`;

/**
 * The caps the kept sums apply: fixed ones. Percentile caps move with every refresh, so the kept
 * sums are uncapped for them and corrected when results are read (only units above the cap differ).
 */
export function fixedCaps(tables: AnalysisTables): (number | null)[] {
  return tables.spec.metrics.map((m) =>
    m.capping?.type === 'value' && capsValues(m) ? m.capping.value : null,
  );
}

/** What the kept values depend on: any change to it (metrics, CUPED, phase) forces a rebuild. */
export function specFingerprint(spec: AnalysisSpec): string {
  const { environmentId, key, settings } = spec.experiment;
  const basis = {
    environmentId,
    key,
    phase: spec.phase.number,
    startedAt: spec.phase.startedAt.getTime(),
    cuped: settings.cuped,
    metrics: spec.metrics,
    // The kept tables' layout: a state an older version kept is rebuilt.
    layout: 2,
  };
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex');
}

/**
 * The value columns of percentile-capped metrics: indexed, so that the cap is found from the top of
 * the values, and the units above it read alone for the correction.
 */
export function cappedColumns(tables: AnalysisTables): string[] {
  return tables.spec.metrics.flatMap((m, i) => {
    if (m.capping?.type !== 'percentile' || !capsValues(m)) return [];
    return usesCuped(tables.spec, m) ? [`m${i}`, `p${i}`] : [`m${i}`];
  });
}

/** Drops an experiment's kept state (its tables, pending events and row), if it has one. */
export function dropAnalysisState(
  sqlite: BetterSqlite3.Database,
  environmentId: string,
  experiment: string,
): void {
  const row = sqlite
    .prepare('SELECT id FROM analysis_states WHERE environment_id = ? AND experiment = ?')
    .get(environmentId, experiment) as { id: number } | undefined;
  if (!row) return;
  sqlite.exec(`DROP TABLE IF EXISTS main.${unitsTable(row.id)}`);
  sqlite.exec(`DROP TABLE IF EXISTS main.${sumsTable(row.id)}`);
  sqlite.exec(`DROP TABLE IF EXISTS main.${multipleTable(row.id)}`);
  sqlite.prepare('DELETE FROM analysis_pending_events WHERE state_id = ?').run(row.id);
  sqlite.prepare('DELETE FROM analysis_states WHERE id = ?').run(row.id);
}

export function dropTemp(sqlite: BetterSqlite3.Database): void {
  for (const table of TEMP_TABLES) sqlite.exec(`DROP TABLE IF EXISTS temp.${table}`);
}

export function readState(tables: AnalysisTables): StateRow | null {
  const { environmentId, key } = tables.spec.experiment;
  return (
    (tables.sqlite
      .prepare('SELECT * FROM analysis_states WHERE environment_id = ? AND experiment = ?')
      .get(environmentId, key) as StateRow | undefined) ?? null
  );
}

export function readMarks(sqlite: BetterSqlite3.Database): Marks {
  return sqlite
    .prepare(
      `SELECT (SELECT coalesce(max(rowid), 0) FROM track_events) AS trackRowid,
              (SELECT coalesce(max(rowid), 0) FROM exposures) AS exposureRowid`,
    )
    .get() as Marks;
}

/**
 * A state's row, with nothing analysed yet; its id. Deleting events from `tracks_from` /
 * `exposures_from` on marks it (the triggers of migration 0006).
 */
export function insertStateRow(tables: AnalysisTables, fingerprint: string): number {
  const { environmentId, key } = tables.spec.experiment;
  return Number(
    tables.sqlite
      .prepare(
        `INSERT INTO analysis_states (environment_id, experiment, fingerprint, end_ms, track_rowid, exposure_rowid,
           tracks_from, exposures_from, pending_from)
         VALUES (?, ?, ?, 0, 0, 0, ?, ?, 0)`,
      )
      .run(environmentId, key, fingerprint, tables.start - maxLookback(tables.spec), tables.start)
      .lastInsertRowid,
  );
}

export function createPendingTable(sqlite: BetterSqlite3.Database): void {
  sqlite.exec('CREATE TEMP TABLE analysis_new_pending (unit TEXT, event INTEGER, ts INTEGER, value REAL)');
}
