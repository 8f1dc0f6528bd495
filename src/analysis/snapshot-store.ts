// Cached results: one row per computation in `experiment_snapshots` (table owned by the
// experiments schema). Raw SQL on the main connection; the results are JSON text.
import type { Db } from '../db/open-db.ts';
import type { ExperimentResults } from './experiment-results.ts';

export interface Snapshot {
  id: number;
  experimentId: string;
  phase: number;
  computedAt: Date;
  results: ExperimentResults;
  /** The `analysisSpecHash` of the spec it was computed for (null: stored before it was kept). */
  specHash: string | null;
}

export interface SnapshotStore {
  /** The newest snapshot of an experiment's phase, or undefined. */
  latest(experimentId: string, phase: number): Snapshot | undefined;
  /** Stores a snapshot and keeps only the newest `keep` of the experiment. */
  insert(
    experimentId: string,
    phase: number,
    computedAt: Date,
    results: ExperimentResults,
    specHash: string,
  ): Snapshot;
}

/** Snapshots kept per experiment (older ones are deleted as new ones arrive). */
export const SNAPSHOTS_KEPT = 20;

export function sqliteSnapshotStore({ sqlite }: Db, keep = SNAPSHOTS_KEPT): SnapshotStore {
  const latest = sqlite.prepare(
    `SELECT id, experiment_id AS experimentId, phase, computed_at AS computedAt, results, spec_hash AS specHash
     FROM experiment_snapshots WHERE experiment_id = ? AND phase = ?
     ORDER BY computed_at DESC, id DESC LIMIT 1`,
  );
  const insert = sqlite.prepare(
    `INSERT INTO experiment_snapshots (experiment_id, phase, computed_at, results, spec_hash) VALUES (?, ?, ?, ?, ?)`,
  );
  const prune = sqlite.prepare(
    `DELETE FROM experiment_snapshots WHERE experiment_id = ? AND id NOT IN (
       SELECT id FROM experiment_snapshots WHERE experiment_id = ? ORDER BY computed_at DESC, id DESC LIMIT ?)`,
  );
  const write = sqlite.transaction(
    (experimentId: string, phase: number, computedAt: number, json: string, specHash: string) => {
      const { lastInsertRowid } = insert.run(experimentId, phase, computedAt, json, specHash);
      prune.run(experimentId, experimentId, keep);
      return Number(lastInsertRowid);
    },
  );
  return {
    latest(experimentId, phase) {
      const row = latest.get(experimentId, phase) as
        | {
            id: number;
            experimentId: string;
            phase: number;
            computedAt: number;
            results: string;
            specHash: string | null;
          }
        | undefined;
      if (!row) return undefined;
      return {
        ...row,
        computedAt: new Date(row.computedAt),
        results: JSON.parse(row.results) as ExperimentResults,
      };
    },
    insert(experimentId, phase, computedAt, results, specHash) {
      const id = write(experimentId, phase, computedAt.getTime(), JSON.stringify(results), specHash);
      return { id, experimentId, phase, computedAt, results, specHash };
    },
  };
}
