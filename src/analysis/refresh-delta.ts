// The changes since a kept state's watermarks (refresh-plan.ts), read in the refresh's read
// transaction into temp tables: the units that appear, are removed or got new events, and the values
// of those events. Applied to the state by refresh-apply.ts.
import type { AnalysisTables } from './analysis-tables.ts';
import { ANALYSED_UNITS, DAY_MS, maxLookback } from './metric-sql.ts';
import { createPendingTable, unitsTable, type Marks, type StateRow } from './state-tables.ts';
import { eventCode } from './metric-sql.ts';

/**
 * The changes since the state's watermarks, in temp tables: the units that became analysed, and
 * per unit the values of its new events; events of units not analysed from `pendingFrom` on become
 * pending. Null when they cannot be applied exactly: a unit already analysed changed its first
 * exposure or variation (its events before the watermark would count differently and are not
 * kept), or a unit appears whose look-back reaches before the pending events kept — the caller
 * rebuilds.
 */
export function prepareDelta(
  tables: AnalysisTables,
  state: StateRow,
  marks: Marks,
  pendingFrom: number,
): string[] | null {
  const { sqlite } = tables;
  const units = `main.${unitsTable(state.id)}`;
  const base = {
    ...tables.baseParams(),
    prevEnd: state.end_ms,
    twm: state.track_rowid,
    twmNew: marks.trackRowid,
    xwm: state.exposure_rowid,
    xwmNew: marks.exposureRowid,
  };
  sqlite.exec('CREATE TEMP TABLE analysis_touched (unit TEXT PRIMARY KEY) WITHOUT ROWID');
  // Units with a new exposure, and units whose exposure was past the previous end.
  sqlite
    .prepare(
      `INSERT OR IGNORE INTO temp.analysis_touched
       SELECT e.unit FROM exposures e
       WHERE e.rowid > @xwm AND e.rowid <= @xwmNew AND +e.environment_id = @env AND +e.experiment = @exp`,
    )
    .run(base);
  sqlite
    .prepare(
      `INSERT OR IGNORE INTO temp.analysis_touched
       SELECT e.unit FROM exposures e
       WHERE e.environment_id = @env AND e.experiment = @exp AND e.ts > @prevEnd AND e.ts <= @end`,
    )
    .run(base);
  // Seen in another variation or exposed before the phase: no longer analysed, dropped from the
  // state (their values are simply left out). An earlier first exposure in the phase changes which
  // of the unit's events count, and they are not kept: that needs a rebuild.
  const touchedInState = `temp.analysis_touched x CROSS JOIN ${units} s ON s.unit = x.unit
       LEFT JOIN experiment_units u ON u.environment_id = @env AND u.experiment = @exp AND u.unit = x.unit`;
  const { changed } = sqlite
    .prepare(
      `SELECT count(*) AS changed FROM ${touchedInState}
       WHERE ${ANALYSED_UNITS} AND (u.first_exposure_at <> s.f OR u.variation <> s.variation)`,
    )
    .get(base) as { changed: number };
  if (changed > 0) return null;
  sqlite.exec('CREATE TEMP TABLE analysis_removed (unit TEXT PRIMARY KEY) WITHOUT ROWID');
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_removed SELECT x.unit FROM ${touchedInState}
       WHERE u.unit IS NULL OR NOT (${ANALYSED_UNITS})`,
    )
    .run(base);
  sqlite.exec(
    'CREATE TEMP TABLE analysis_appear (unit TEXT PRIMARY KEY, variation TEXT, day INTEGER, f INTEGER, attrs TEXT) WITHOUT ROWID',
  );
  // A unit's attributes are those of its first exposure in the phase: the one at `f`.
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_appear
       SELECT x.unit, u.variation, CAST((u.first_exposure_at - @start) / ${DAY_MS} AS INTEGER), u.first_exposure_at,
         (SELECT e.attributes FROM exposures e
          WHERE e.environment_id = @env AND e.experiment = @exp AND e.ts = u.first_exposure_at AND e.unit = x.unit
          ORDER BY e.rowid LIMIT 1)
       FROM temp.analysis_touched x
       CROSS JOIN experiment_units u ON u.environment_id = @env AND u.experiment = @exp AND u.unit = x.unit
       WHERE ${ANALYSED_UNITS} AND x.unit NOT IN (SELECT unit FROM ${units})`,
    )
    .run(base);
  const { early } = sqlite
    .prepare('SELECT count(*) AS early FROM temp.analysis_appear WHERE f < ?')
    .get(state.pending_from + maxLookback(tables.spec)) as { early: number };
  if (early > 0) return null;

  const { unindexed, since, params, events } = tables.eventFilter();
  const { names, columns } = tables.valueColumns(params, events, 't.f');
  Object.assign(params.values, base);
  sqlite.exec('CREATE TEMP TABLE analysis_delta_events (unit TEXT, e INTEGER, ts INTEGER, v REAL)');
  createPendingTable(sqlite);
  sqlite.exec(
    `CREATE TEMP TABLE analysis_delta_values (unit TEXT PRIMARY KEY${names.map((n) => `, ${n}`).join('')}) WITHOUT ROWID`,
  );
  if (events.length === 0) return names;
  const code = eventCode(events, params.add.bind(params));
  const select = `SELECT t.unit, ${code}, t.ts, coalesce(t.value, 1)`;
  // New rows (late ones included: any ts), then older rows that were past the previous end: the
  // event index finds those by time and has the rowid, so only they are read from the table.
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_delta_events ${select} FROM track_events t
       WHERE t.rowid > @twm AND t.rowid <= @twmNew AND ${unindexed}`,
    )
    .run(params.values);
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_delta_events ${select} FROM track_events t
       WHERE t.rowid IN (SELECT t.rowid FROM track_events t INDEXED BY track_events_event_idx
                         WHERE ${since} AND +t.rowid <= @twm)`,
    )
    .run(params.values);
  // A newly analysed unit's events from before (kept as pending) count now.
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_delta_events
       SELECT q.unit, q.event, q.ts, q.value FROM analysis_pending_events q
       WHERE q.state_id = @state AND q.unit IN (SELECT unit FROM temp.analysis_appear)`,
    )
    .run({ state: state.id });
  // Each event meets its unit's first exposure in unit order (sorted first, as in a from-scratch
  // pass); events of units not analysed are kept as pending.
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_delta_values
       SELECT t.unit, ${columns.join(', ')}
       FROM (SELECT t.unit AS unit, t.e AS e, t.ts AS ts, t.v AS v, coalesce(s.f, a.f) AS f
             FROM (SELECT * FROM temp.analysis_delta_events ORDER BY unit) t
               LEFT JOIN ${units} s ON s.unit = t.unit LEFT JOIN temp.analysis_appear a ON a.unit = t.unit) t
       WHERE t.f IS NOT NULL GROUP BY t.unit`,
    )
    .run(params.values);
  sqlite
    .prepare(
      `INSERT INTO temp.analysis_new_pending SELECT t.unit, t.e, t.ts, t.v FROM temp.analysis_delta_events t
       WHERE t.ts >= ? AND t.unit NOT IN (SELECT unit FROM temp.analysis_delta_values)`,
    )
    .run(pendingFrom);
  return names;
}
