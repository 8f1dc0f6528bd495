// Results on demand and from cache: GET answers from the newest snapshot (computing one when there
// is none), refresh computes a new one. The computation is synchronous SQLite work plus the stats,
// so two refreshes never interleave on the connection.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import type { AnalysisSpec } from './analysis-spec.ts';
import { computeResults, type ResultsOptions } from './experiment-results.ts';
import type { Snapshot, SnapshotStore } from './snapshot-store.ts';

export interface SpecSource {
  getAnalysisSpec(key: string): Promise<AnalysisSpec>;
}

export interface AnalysisServiceDeps {
  db: Db;
  clock: Clock;
  experiments: SpecSource;
  snapshots: SnapshotStore;
  options?: Partial<ResultsOptions>;
}

export class AnalysisService {
  constructor(private readonly deps: AnalysisServiceDeps) {}

  /** The newest snapshot of the experiment's current phase; computed now if there is none. */
  async latest(key: string): Promise<Snapshot> {
    const spec = await this.deps.experiments.getAnalysisSpec(key);
    return this.deps.snapshots.latest(spec.experiment.id, spec.phase.number) ?? this.compute(spec);
  }

  /** Computes and stores a new snapshot of the experiment's current phase. */
  async refresh(key: string): Promise<Snapshot> {
    return this.compute(await this.deps.experiments.getAnalysisSpec(key));
  }

  private compute(spec: AnalysisSpec): Snapshot {
    const now = this.deps.clock.now();
    const results = computeResults(this.deps.db.sqlite, spec, now, this.deps.options);
    return this.deps.snapshots.insert(spec.experiment.id, spec.phase.number, now, results);
  }
}
