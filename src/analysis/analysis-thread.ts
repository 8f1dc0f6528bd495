// Runs an analysis on a worker thread with its own connection, so that the seconds a large
// experiment takes (the SQL passes are synchronous) never stall the event loop: SDK requests and
// event acknowledgements go on meanwhile. One short-lived worker per computation; only for database
// files (an in-memory database lives on the main connection alone).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { AnalysisSpec } from './analysis-spec.ts';
import type { ExperimentResults, ResultsOptions } from './experiment-results.ts';

interface Job {
  flagstaffAnalysis: { location: string; spec: AnalysisSpec; now: Date; options: Partial<ResultsOptions> };
}
type Reply = { results: ExperimentResults } | { error: { message: string; stack?: string } };

/** Computes results for `spec` on a worker thread reading the database file `location`. */
export function computeResultsInThread(
  location: string,
  spec: AnalysisSpec,
  now: Date,
  options: Partial<ResultsOptions> = {},
): Promise<ExperimentResults> {
  // The worker runs this TypeScript file too: it registers tsx's loader, then imports it.
  const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  return new Promise((resolve, reject) => {
    const job: Job = { flagstaffAnalysis: { location, spec, now, options } };
    const worker = new Worker(boot, { eval: true, workerData: job, execArgv: [] });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if ('results' in reply) resolve(reply.results);
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

// --- the worker side ----------------------------------------------------------------------------
const job = (workerData as Partial<Job> | null)?.flagstaffAnalysis;
if (parentPort && job) {
  const port = parentPort;
  try {
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const { computeResults } = await import('./experiment-results.ts');
    const sqlite = new BetterSqlite3(job.location, { fileMustExist: true });
    sqlite.pragma('busy_timeout = 5000');
    try {
      port.postMessage({ results: computeResults(sqlite, job.spec, job.now, job.options) } satisfies Reply);
    } finally {
      sqlite.close();
    }
  } catch (error) {
    const { message, stack } = error as Error;
    port.postMessage({ error: { message, stack } } satisfies Reply);
  }
}
