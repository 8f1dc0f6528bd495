// The read side of a refresh (analysis-state.ts): in one read transaction, whether the kept state
// can be brought up to date (refresh-delta.ts) or must be rebuilt from the events, and the temp
// tables the write transaction then applies (refresh-apply.ts).
import { prepareDelta } from './refresh-delta.ts';
import {
  createPendingTable,
  readMarks,
  readState,
  specFingerprint,
  type Marks,
  type StateRow,
} from './state-tables.ts';
import type { AnalysisTables } from './analysis-tables.ts';
import { DAY_MS, eventCode, maxLookback } from './metric-sql.ts';

export interface Plan {
  kind: 'rebuild' | 'delta';
  /** The state read (and to be updated), null when there was none. */
  state: StateRow | null;
  marks: Marks;
  names: string[];
  /** Pending events older than this are dropped (and not kept). */
  pendingFrom: number;
}

export interface IncrementalOptions {
  /** Rebuild the state from the events, whatever it is. */
  rebuild?: boolean;
  /** EVENTS_MAX_AGE_DAYS: exposures older than this (by the server's clock) are refused at ingestion. */
  eventsMaxAgeDays: number;
}

/**
 * Time between an event's age check at ingestion and its commit (the writer's queue): an exposure
 * checked just before a refresh may be stored after it.
 */
const INGESTION_LAG_MS = 3_600_000;

/**
 * The oldest event time a unit not analysed yet can still need. Such a unit is first exposed later
 * at a time ingestion still accepts (not older than EVENTS_MAX_AGE_DAYS before its arrival), and its
 * CUPED look-back reaches back from there. A unit first exposed earlier after all (a database
 * written around ingestion, a larger EVENTS_MAX_AGE_DAYS) forces a rebuild (`prepareDelta`).
 */
function pendingHorizon(tables: AnalysisTables, now: Date, options: IncrementalOptions): number {
  return now.getTime() - options.eventsMaxAgeDays * DAY_MS - INGESTION_LAG_MS - maxLookback(tables.spec);
}

/** In the read transaction: what to apply to the state, in temp tables. */
export function prepare(tables: AnalysisTables, now: Date, options: IncrementalOptions): Plan {
  const state = readState(tables);
  const marks = readMarks(tables.sqlite);
  const horizon = pendingHorizon(tables, now, options);
  const usable =
    !options.rebuild &&
    state !== null &&
    state.fingerprint === specFingerprint(tables.spec) &&
    tables.end >= state.end_ms &&
    !state.events_deleted;
  if (usable) {
    const pendingFrom = Math.max(state.pending_from, horizon);
    const names = prepareDelta(tables, state, marks, pendingFrom);
    if (names) {
      readMultiple(tables, 'temp.analysis_touched');
      return { kind: 'delta', state, marks, names, pendingFrom };
    }
  }
  readMultiple(tables);
  const names = tables.buildUnits();
  const { where, params, events } = tables.eventFilter();
  createPendingTable(tables.sqlite);
  if (events.length > 0) {
    tables.sqlite
      .prepare(
        `INSERT INTO temp.analysis_new_pending
         SELECT t.unit, ${eventCode(events, params.add.bind(params))}, t.ts, coalesce(t.value, 1)
         FROM track_events t
         WHERE ${where} AND t.ts >= ${params.add(horizon)} AND t.unit NOT IN (SELECT unit FROM temp.analysis_first)`,
      )
      .run(params.values);
  }
  return { kind: 'rebuild', state, marks, names, pendingFrom: horizon };
}

/**
 * Units seen in more than one variation (and their first exposure) into `temp.analysis_multiple`:
 * all of them, or those among `touched` (the units with new exposures: a unit's row in
 * `experiment_units` changes only with a new exposure). The state keeps them to count them.
 */
function readMultiple(tables: AnalysisTables, touched?: string): void {
  tables.sqlite.exec('CREATE TEMP TABLE analysis_multiple (unit TEXT PRIMARY KEY, f INTEGER) WITHOUT ROWID');
  tables.sqlite
    .prepare(
      `INSERT INTO temp.analysis_multiple SELECT u.unit, u.first_exposure_at
       FROM ${touched ? `${touched} x CROSS JOIN experiment_units u ON u.unit = x.unit AND` : 'experiment_units u WHERE'}
         u.environment_id = @env AND u.experiment = @exp AND u.multiple_variations = 1`,
    )
    .run(tables.baseParams());
}
