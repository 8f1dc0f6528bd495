// Runs an analysis on a worker thread with its own connection, so that the seconds a large
// experiment takes (the SQL passes are synchronous) never stall the event loop: SDK requests and
// event acknowledgements go on meanwhile. One short-lived worker per computation; only for database
// files (an in-memory database lives on the main connection alone). Two jobs: an experiment's
// results, and the pre-period baselines a plan is turned into sample sizes with.
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { workerBoot } from '../worker-boot.ts';
import type { AnalysisMetric, AnalysisSpec } from './analysis-spec.ts';
import type { ExperimentResults, ResultsOptions } from './experiment-results.ts';
import type { Baseline } from './metric-baseline.ts';

type Task =
  | { kind: 'results'; spec: AnalysisSpec; now: Date; options: Partial<ResultsOptions> }
  | { kind: 'baselines'; environmentId: string; metrics: AnalysisMetric[]; start: Date };
interface Job {
  flagstaffAnalysis: { location: string; task: Task };
}
type Reply = { value: unknown } | { error: { message: string; stack?: string } };

function runInThread<T>(location: string, task: Task): Promise<T> {
  // The worker runs this module too (the same file, source or build).
  const boot = workerBoot(import.meta.url);
  return new Promise((resolve, reject) => {
    const job: Job = { flagstaffAnalysis: { location, task } };
    const worker = new Worker(boot, { eval: true, workerData: job, execArgv: [] });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if ('value' in reply) resolve(reply.value as T);
      else reject(Object.assign(new Error(reply.error.message), { stack: reply.error.stack }));
      void worker.terminate();
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`analysis thread exited (${code})`));
    });
  });
}

/** Computes results for `spec` on a worker thread reading the database file `location`. */
export function computeResultsInThread(
  location: string,
  spec: AnalysisSpec,
  now: Date,
  options: Partial<ResultsOptions> = {},
): Promise<ExperimentResults> {
  return runInThread(location, { kind: 'results', spec, now, options });
}

/** `measureBaseline` of each metric, on a worker thread: a grouped pass over the look-back's events. */
export function measureBaselinesInThread(
  location: string,
  environmentId: string,
  metrics: AnalysisMetric[],
  start: Date,
): Promise<(Baseline | null)[]> {
  return runInThread(location, { kind: 'baselines', environmentId, metrics, start });
}

// --- the worker side ----------------------------------------------------------------------------
const job = (workerData as Partial<Job> | null)?.flagstaffAnalysis;
if (parentPort && job) {
  const port = parentPort;
  try {
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const sqlite = new BetterSqlite3(job.location, { fileMustExist: true });
    sqlite.pragma('busy_timeout = 5000');
    try {
      const { task } = job;
      if (task.kind === 'results') {
        const { computeResults } = await import('./experiment-results.ts');
        port.postMessage({
          value: computeResults(sqlite, task.spec, task.now, task.options),
        } satisfies Reply);
      } else {
        const { measureBaseline } = await import('./metric-baseline.ts');
        const value = task.metrics.map((m) => measureBaseline(sqlite, task.environmentId, m, task.start));
        port.postMessage({ value } satisfies Reply);
      }
    } finally {
      sqlite.close();
    }
  } catch (error) {
    const { message, stack } = error as Error;
    port.postMessage({ error: { message, stack } } satisfies Reply);
  }
}
