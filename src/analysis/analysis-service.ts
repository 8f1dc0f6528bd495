// Results on demand and from cache: GET answers from the newest snapshot (computing one when there
// is none, or when it was computed for other settings, variations or metrics), refresh computes a
// new one. Both bring the experiment's kept analysis state up to date with what arrived since the
// last refresh (analysis-state.ts; rebuilt from the events when missing or stale); a shipped or
// abandoned experiment has none and is computed from scratch. For a database file the computation
// runs on a worker thread with its own connection (analysis-thread.ts), so it never blocks the
// event loop.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/open-db.ts';
import { analysisSpecHash, type AnalysisSpec } from './analysis-spec.ts';
import { computeResultsInThread } from './analysis-thread.ts';
import { computeResults, type ExperimentResults, type ResultsOptions } from './experiment-results.ts';
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
  /** Compute on a worker thread (database files only); on by default for files. */
  useThread?: boolean;
  /** A refresh asked for within this many seconds of the newest snapshot returns that snapshot. */
  refreshMinAgeSeconds?: number;
}

const FINISHED = new Set(['shipped', 'abandoned']);

export class AnalysisService {
  /**
   * Computations under way, by experiment, phase and spec hash: a reader or a refresh that arrives
   * while one runs waits for it instead of starting another (ten viewers pressing refresh at once
   * cost one computation).
   */
  private readonly computing = new Map<string, Promise<Snapshot>>();

  constructor(private readonly deps: AnalysisServiceDeps) {}

  /**
   * The newest snapshot of the experiment's current phase; computed now if there is none or it was
   * computed for another spec (settings, variations, metrics, the phase's end).
   */
  async latest(key: string): Promise<Snapshot> {
    const spec = await this.deps.experiments.getAnalysisSpec(key);
    const snapshot = this.deps.snapshots.latest(spec.experiment.id, spec.phase.number);
    const hash = analysisSpecHash(spec, this.deps.options);
    // A shipped or abandoned experiment's results are its record once a snapshot covers its phase
    // to the end (or is from before spec_hash was kept): its state went with the ship, and
    // retention may since have deleted its events, so an edit of a metric it shares with other
    // experiments must not recompute them from what is left (POST …/refresh still can).
    const record =
      snapshot !== undefined &&
      FINISHED.has(spec.experiment.status) &&
      (snapshot.specHash === null || snapshot.results.window.end === spec.phase.endedAt?.toISOString());
    if (snapshot?.specHash !== hash && !record) return this.computeOnce(spec, hash);
    // Stopping after the last computation moves the phase's end (a new hash); shipping or
    // abandoning a stopped experiment changes only its status, which the analysis does not read.
    snapshot.results.experiment.status = spec.experiment.status;
    return snapshot;
  }

  /**
   * Computes and stores a new snapshot of the experiment's current phase, unless one is being
   * computed (then its result) or the newest snapshot, computed for the same spec, is younger than
   * `minAgeSeconds` (then that one: refreshes are open to every reader, so they are limited).
   * `rebuild`: from the events alone, the kept state rebuilt, whatever the age.
   */
  async refresh(
    key: string,
    { rebuild = false, minAgeSeconds = 0 }: { rebuild?: boolean; minAgeSeconds?: number } = {},
  ): Promise<Snapshot> {
    const spec = await this.deps.experiments.getAnalysisSpec(key);
    const hash = analysisSpecHash(spec, this.deps.options);
    if (rebuild) return this.compute(spec, true);
    const running = this.computing.get(this.slot(spec, hash));
    if (running) return running;
    const snapshot = this.deps.snapshots.latest(spec.experiment.id, spec.phase.number);
    const age = snapshot ? this.deps.clock.now().getTime() - snapshot.computedAt.getTime() : Infinity;
    if (snapshot?.specHash === hash && age < minAgeSeconds * 1000) {
      snapshot.results.experiment.status = spec.experiment.status;
      return snapshot;
    }
    return this.computeOnce(spec, hash);
  }

  /** Refresh as a reader asks for it: limited by the service's REFRESH minimum age. */
  requestRefresh(key: string): Promise<Snapshot> {
    return this.refresh(key, { minAgeSeconds: this.deps.refreshMinAgeSeconds ?? 0 });
  }

  private slot(spec: AnalysisSpec, hash: string): string {
    return `${spec.experiment.id}/${spec.phase.number}/${hash}`;
  }

  /** One computation per experiment, phase and spec at a time; later callers share it. */
  private computeOnce(spec: AnalysisSpec, hash: string): Promise<Snapshot> {
    const slot = this.slot(spec, hash);
    let computing = this.computing.get(slot);
    if (!computing) {
      computing = this.compute(spec).finally(() => this.computing.delete(slot));
      this.computing.set(slot, computing);
    }
    return computing;
  }

  private async compute(spec: AnalysisSpec, rebuild = false): Promise<Snapshot> {
    const now = this.deps.clock.now();
    const { db } = this.deps;
    // A shipped or abandoned experiment's results no longer change: the ship dropped its kept state,
    // and building one again (every analysed unit) would only take space that nothing frees.
    const finished = FINISHED.has(spec.experiment.status);
    const options = {
      computation: finished ? 'from-scratch' : rebuild ? 'rebuild' : 'incremental',
      ...this.deps.options,
    } satisfies Partial<ResultsOptions>;
    const thread = (this.deps.useThread ?? true) && db.location !== ':memory:';
    const results: ExperimentResults = thread
      ? await computeResultsInThread(db.location, spec, now, options)
      : computeResults(db.sqlite, spec, now, options);
    return this.deps.snapshots.insert(
      spec.experiment.id,
      spec.phase.number,
      now,
      results,
      analysisSpecHash(spec, this.deps.options),
    );
  }
}
