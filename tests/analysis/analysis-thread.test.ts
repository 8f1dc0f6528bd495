// On a database file the analysis runs on a worker thread with its own connection: same results
// as on the main connection, and the event loop stays free meanwhile.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AnalysisService } from '../../src/analysis/analysis-service.ts';
import { computeResultsInThread, measureBaselinesInThread } from '../../src/analysis/analysis-thread.ts';
import { measureBaseline } from '../../src/analysis/metric-baseline.ts';
import { computeResults, type ResultsOptions } from '../../src/analysis/experiment-results.ts';
import type { Snapshot, SnapshotStore } from '../../src/analysis/snapshot-store.ts';
import { makeEventsApp } from '../events/helpers.ts';
import { expectClose } from './helpers.ts';
import { scenario, scenarioSpec } from './scenario.ts';

let t: Awaited<ReturnType<typeof makeEventsApp>>;
let secret: string;
let environmentId: string;

beforeAll(async () => {
  t = await makeEventsApp({}, { file: true });
  const key = await t.key('server');
  secret = key.secret;
  environmentId = key.environmentId!;
});
afterAll(() => t.close());

it('computes the same results on a worker thread as on the main connection', async () => {
  const data = scenario({ key: 'threaded', units: 400, doubleExposed: 5, seed: 11 });
  for (let i = 0; i < data.events.length; i += 1000) {
    const res = await t.post(secret, { events: data.events.slice(i, i + 1000) });
    expect(res.status).toBe(202);
  }
  const spec = scenarioSpec('threaded', environmentId, data.start, true);
  const now = new Date(data.now);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const threaded = await computeResultsInThread(t.db.location, spec, now);
  clearInterval(timer);
  const direct = computeResults(t.db.sqlite, spec, now);
  expect(threaded).toEqual(JSON.parse(JSON.stringify(direct)));
  expect(threaded.units.analysed).toBe(400);
  expect(ticks).toBeGreaterThan(0); // the event loop ran while the thread computed
});

it('measures pre-period baselines on a worker thread as on the main connection', async () => {
  const data = scenario({ key: 'baseline', units: 300, doubleExposed: 0, seed: 13 });
  for (let i = 0; i < data.events.length; i += 1000) {
    expect((await t.post(secret, { events: data.events.slice(i, i + 1000) })).status).toBe(202);
  }
  const spec = scenarioSpec('baseline', environmentId, data.start, true);
  const start = new Date(data.now);
  const threaded = await measureBaselinesInThread(t.db.location, environmentId, spec.metrics, start);
  const direct = spec.metrics.map((m) => measureBaseline(t.db.sqlite, environmentId, m, start));
  expect(threaded).toEqual(direct);
  expect(threaded.filter((b) => b !== null).length).toBeGreaterThan(0);
});

it('refreshes the kept state on the thread: after more events, the same results as from scratch', async () => {
  const data = scenario({ key: 'kept', units: 300, doubleExposed: 3, seed: 12 });
  const half = Math.floor(data.events.length / 2);
  const spec = scenarioSpec('kept', environmentId, data.start, true);
  const now = new Date(data.now);
  for (const part of [data.events.slice(0, half), data.events.slice(half)]) {
    for (let i = 0; i < part.length; i += 1000) {
      expect((await t.post(secret, { events: part.slice(i, i + 1000) })).status).toBe(202);
    }
    const threaded = await computeResultsInThread(t.db.location, spec, now, { computation: 'incremental' });
    // Equal up to the order of float additions (docs/decisions/0005).
    expectClose(threaded, JSON.parse(JSON.stringify(computeResults(t.db.sqlite, spec, now))));
  }
  const states = t.db.sqlite
    .prepare("SELECT count(*) AS n FROM analysis_states WHERE experiment = 'kept'")
    .get();
  expect(states).toEqual({ n: 1 });
});

it('reports a failure in the thread as a rejected promise', async () => {
  const spec = scenarioSpec('threaded', environmentId, Date.now());
  await expect(computeResultsInThread('/nonexistent/flagstaff.db', spec, new Date())).rejects.toThrow();
});

/** Snapshots kept in an array, newest last. */
function memorySnapshots() {
  const stored: Snapshot[] = [];
  const snapshots: SnapshotStore = {
    latest: () => stored.at(-1),
    insert(experimentId, phase, computedAt, results, specHash) {
      const snapshot = { id: stored.length + 1, experimentId, phase, computedAt, results, specHash };
      stored.push(snapshot);
      return snapshot;
    },
  };
  return { stored, snapshots };
}

it('shares one computation between reads that arrive together for a stale snapshot', async () => {
  const data = scenario({ key: 'together', units: 200, doubleExposed: 0, seed: 13 });
  for (let i = 0; i < data.events.length; i += 1000) {
    expect((await t.post(secret, { events: data.events.slice(i, i + 1000) })).status).toBe(202);
  }
  const spec = scenarioSpec('together', environmentId, data.start);
  const { stored, snapshots } = memorySnapshots();
  const analysis = new AnalysisService({
    db: t.db,
    clock: { now: () => new Date(data.now) },
    experiments: { getAnalysisSpec: async () => spec },
    snapshots,
  });
  const reads = await Promise.all([analysis.latest('together'), analysis.latest('together')]);
  expect(stored).toHaveLength(1);
  expect(reads.map((r) => r.id)).toEqual([1, 1]);
  expect((await analysis.latest('together')).id).toBe(1);
});

it('computes anew when the service runs with other analysis options than the snapshot', async () => {
  const data = scenario({ key: 'options', units: 100, doubleExposed: 0, seed: 17 });
  expect((await t.post(secret, { events: data.events.slice(0, 1000) })).status).toBe(202);
  const spec = scenarioSpec('options', environmentId, data.start);
  const { snapshots } = memorySnapshots();
  const service = (options: Partial<ResultsOptions>) =>
    new AnalysisService({
      db: t.db,
      clock: { now: () => new Date(data.now) },
      experiments: { getAnalysisSpec: async () => spec },
      snapshots,
      options,
      useThread: false,
    });
  expect((await service({ breakdownDimensions: 10 }).latest('options')).id).toBe(1);
  expect((await service({ breakdownDimensions: 10 }).latest('options')).id).toBe(1);
  // A restart with another configuration: the stored results were computed with the old one.
  const narrower = await service({ breakdownDimensions: 1 }).latest('options');
  expect(narrower.id).toBe(2);
  expect(narrower.results.breakdowns.dimensions.length).toBeLessThanOrEqual(1);
});
