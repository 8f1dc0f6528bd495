// Incremental analysis: every analysed unit's metric values (`analysis_state_units_<id>`) and their
// sums per (attributes, variation, day) (`analysis_state_sums_<id>`) are kept in SQLite between
// refreshes, so that a refresh reads only the events and exposures that arrived since the previous
// one (rowid watermarks) and updates the sums by the old and new contribution of each unit that
// changed. A from-scratch pass costs ~27× a plain scan of the events; this costs what arrived.
// What forces a rebuild, and why the result equals a from-scratch one: docs/decisions/0005.
import type BetterSqlite3 from 'better-sqlite3';
import type { AnalysisSpec } from './analysis-spec.ts';
import { apply } from './refresh-apply.ts';
import { prepare, type IncrementalOptions } from './refresh-plan.ts';
import { dropTemp, insertStateRow, readState } from './state-tables.ts';
import { AnalysisTables, withSortThreads } from './analysis-tables.ts';

// This module is the incremental state's entry for the rest of the service (the experiment store
// drops a state with its experiment).
export { dropAnalysisState } from './state-tables.ts';

/**
 * Runs `fn` on analysis tables made from the experiment's kept state, brought up to date first: by
 * the events that arrived since the last refresh, or rebuilt from scratch when the state is missing
 * or cannot be brought up to date exactly. The events are read in one read transaction, the state
 * written in a short write transaction after it (the writer's lock is not held while reading).
 */
export function withIncrementalTables<T>(
  sqlite: BetterSqlite3.Database,
  spec: AnalysisSpec,
  now: Date,
  fn: (tables: AnalysisTables) => T,
  options: IncrementalOptions,
): T {
  const tables = new AnalysisTables(sqlite, spec, now);
  try {
    return withSortThreads(sqlite, () => {
      // Another refresh of the same experiment may write the state between the two transactions, or
      // events read may be deleted meanwhile (the delete triggers mark the state's row): the plan is
      // then made again. An experiment without a state gets a row first, so that it can be marked.
      if (!readState(tables)) sqlite.transaction(() => insertStateRow(tables, '')).immediate();
      for (let attempt = 0; attempt < 3; attempt++) {
        dropTemp(sqlite);
        const plan = sqlite.transaction(() => prepare(tables, now, options))();
        if (sqlite.transaction(() => apply(tables, plan)).immediate()) return fn(tables);
      }
      throw new Error('analysis: the state kept changing during the refresh');
    });
  } finally {
    tables.drop();
    dropTemp(sqlite);
  }
}
