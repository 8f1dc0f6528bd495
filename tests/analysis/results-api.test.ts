// The results routes end to end: an experiment created and started through the API, exposures and
// outcomes through POST /sdk/v1/events, results from GET (cached in a snapshot) and refresh.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type Caller, type TestApp } from '../helpers/test-app.ts';
import { experimentBody, experimentCalls, seedExperimentWorld } from '../experiments/experiment-helpers.ts';
import { computeResults } from '../../src/analysis/experiment-results.ts';
import { DAY, exposure, makeSpec, metric, rng, send, track, type Event } from './helpers.ts';

let t: TestApp;
let server: Caller;
let viewer: Caller;
let editor: Caller;
const random = rng(42);

/** `n` units per arm exposed now; control converts at 20%, treatment at 60%. */
function traffic(prefix: string, n: number): Event[] {
  const now = Date.now();
  const events: Event[] = [];
  for (let i = 0; i < 2 * n; i++) {
    const variation = i % 2 ? 'treatment' : 'control';
    const unit = `${prefix}${i}`;
    events.push(exposure(unit, 'checkout-test', variation, now - 1000, { country: i % 3 ? 'US' : 'DE' }));
    if (random() < (variation === 'control' ? 0.2 : 0.6)) events.push(track(unit, 'purchase', now - 500, 10));
  }
  return events;
}

beforeAll(async () => {
  t = await makeTestApp({ ANALYSIS_REFRESH_MINUTES: 0 });
  server = (await t.sdkKey('server')).caller;
  viewer = await t.signIn('viewer');
  editor = await t.signIn('editor');
  await seedExperimentWorld(t);
  const api = experimentCalls(t);
  expect(
    (await api.create(experimentBody({ secondaryMetrics: ['revenue'], guardrailMetrics: [] }))).status,
  ).toBe(201);
  expect((await api.action('start')).status).toBe(200);
  // exposures must fall inside the phase, which started just now
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await send(t, server, traffic('a', 200));
});

describe('GET /api/v1/experiments/:key/results', () => {
  it('computes results for a viewer, then answers from the snapshot', async () => {
    const first = await t.request('GET', '/api/v1/experiments/checkout-test/results', { as: viewer });
    expect(first.status, first.text).toBe(200);
    expect(first.json.units.perVariation.map((v: { units: number }) => v.units)).toEqual([200, 200]);
    expect(new Date(first.json.computedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const purchase = first.json.metrics.find((m: { key: string }) => m.key === 'purchase');
    expect(purchase.role).toBe('goal');
    expect(purchase.comparisons[0].verdict).toBe('winning');
    expect(first.json.health.healthy).toBe(true);
    expect(first.json.series[0].points).toHaveLength(1);
    expect(first.json.breakdowns.dimensions[0].dimension).toBe('country');

    await send(t, server, traffic('b', 50));
    const cached = await t.request('GET', '/api/v1/experiments/checkout-test/results', { as: viewer });
    expect(cached.json.snapshotId).toBe(first.json.snapshotId);
    expect(cached.json.units.analysed).toBe(400);
  });

  it('refresh (open to viewers: the PM role) computes a new snapshot that GET then returns', async () => {
    const before = await t.request('GET', '/api/v1/experiments/checkout-test/results', { as: viewer });
    const fresh = await t.request('POST', '/api/v1/experiments/checkout-test/results/refresh', {
      as: viewer,
    });
    expect(fresh.status, fresh.text).toBe(200);
    expect(fresh.json.snapshotId).toBeGreaterThan(before.json.snapshotId);
    expect(fresh.json.units.analysed).toBe(500);
    const after = await t.request('GET', '/api/v1/experiments/checkout-test/results', { as: viewer });
    expect(after.json.snapshotId).toBe(fresh.json.snapshotId);
  });

  it('ten concurrent refreshes run one computation and all get its results', async () => {
    const snapshots = () =>
      (t.services.db.sqlite.prepare('SELECT count(*) AS n FROM experiment_snapshots').get() as { n: number })
        .n;
    const computeCount = snapshots();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.request('POST', '/api/v1/experiments/checkout-test/results/refresh', {
          as: i % 2 ? viewer : editor,
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((a) => a.json.snapshotId)).size).toBe(1);
    expect(snapshots() - computeCount).toBe(1);
  });

  it('a refresh within ANALYSIS_REFRESH_MIN_AGE_SECONDS returns the newest snapshot as it is', async () => {
    const app = await makeTestApp({ ANALYSIS_REFRESH_MINUTES: 0, ANALYSIS_REFRESH_MIN_AGE_SECONDS: 3600 });
    await seedExperimentWorld(app);
    const api = experimentCalls(app);
    expect((await api.create(experimentBody({ key: 'limited' }))).status).toBe(201);
    expect((await api.action('start', undefined, 'limited')).status).toBe(200);
    const pm = await app.signIn('viewer');
    const refresh = () => app.request('POST', '/api/v1/experiments/limited/results/refresh', { as: pm });
    const first = await refresh();
    expect(first.status, first.text).toBe(200);
    const second = await refresh();
    expect(second.json.snapshotId).toBe(first.json.snapshotId);
    // A changed analysis (here α) is not a reason to wait: its snapshot is for other settings.
    expect((await api.patch({ settings: { alpha: 0.1 } }, 'limited')).status).toBe(200);
    const changed = await refresh();
    expect(changed.json.snapshotId).toBeGreaterThan(first.json.snapshotId);
    expect(changed.json.settings.alpha).toBe(0.1);
  });

  it('the scheduler refreshes running experiments', async () => {
    const before = await t.request('GET', '/api/v1/experiments/checkout-test/results', { as: viewer });
    await t.services.analysisScheduler.tick();
    const after = await t.request('GET', '/api/v1/experiments/checkout-test/results', { as: viewer });
    expect(after.json.snapshotId).toBeGreaterThan(before.json.snapshotId);
  });

  it('answers 409 for a draft and 404 for an unknown experiment', async () => {
    await experimentCalls(t).create(experimentBody({ key: 'draft-test' }));
    const draft = await t.request('GET', '/api/v1/experiments/draft-test/results', { as: viewer });
    expect(draft.status).toBe(409);
    const unknown = await t.request('GET', '/api/v1/experiments/nope/results', { as: viewer });
    expect(unknown.status).toBe(404);
  });

  it('deleting an experiment drops its kept analysis state (tables, pending events, row)', async () => {
    await experimentCalls(t).create(experimentBody({ key: 'doomed-test' }));
    const { sqlite } = t.db;
    const { id: env } = sqlite.prepare("SELECT id FROM environments WHERE key = 'production'").get() as {
      id: string;
    };
    // A state as a refresh would keep it (drafts have no results route to make one); the other
    // experiment's units are pending for this one.
    const spec = makeSpec('doomed-test', env, new Date(Date.now() - DAY), [metric('purchase')]);
    computeResults(sqlite, spec, new Date(), { computation: 'incremental' });
    const state = () =>
      sqlite.prepare("SELECT id FROM analysis_states WHERE experiment = 'doomed-test'").get() as
        { id: number } | undefined;
    const { id } = state()!;
    const kept = () =>
      sqlite
        .prepare(
          `SELECT (SELECT count(*) FROM sqlite_master WHERE name IN (@units, @sums, @multiple)) AS tables,
                  (SELECT count(*) FROM analysis_pending_events WHERE state_id = @id) AS pending`,
        )
        .get({
          id,
          units: `analysis_state_units_${id}`,
          sums: `analysis_state_sums_${id}`,
          multiple: `analysis_state_multiple_${id}`,
        }) as {
        tables: number;
        pending: number;
      };
    expect(kept().tables).toBe(3);
    expect(kept().pending).toBeGreaterThan(0);
    expect((await t.request('DELETE', '/api/v1/experiments/doomed-test', { as: t.admin })).status).toBe(204);
    expect(state()).toBeUndefined();
    expect(kept()).toEqual({ tables: 0, pending: 0 });
  });

  it('shipping an experiment drops its kept state for good; results stay readable and can be recomputed', async () => {
    const { sqlite } = t.db;
    const states = () =>
      (
        sqlite
          .prepare("SELECT count(*) AS n FROM analysis_states WHERE experiment = 'checkout-test'")
          .get() as {
          n: number;
        }
      ).n;
    const refreshed = await t.request('POST', '/api/v1/experiments/checkout-test/results/refresh', {
      as: editor,
    });
    expect(refreshed.status).toBe(200);
    expect(states()).toBe(1);
    const shipped = await experimentCalls(t).action('ship', { variation: 'treatment' });
    expect(shipped.status, shipped.text).toBe(200);
    expect(states()).toBe(0);
    // Shipping a running experiment ends its phase: GET computes the final results (from the events,
    // the state being gone, and not kept again), then answers from them.
    const read = await t.request('GET', '/api/v1/experiments/checkout-test/results', { as: viewer });
    expect(read.json.snapshotId).toBeGreaterThan(refreshed.json.snapshotId);
    expect(read.json.experiment.status).toBe('shipped');
    expect(read.json.units.analysed).toBe(refreshed.json.units.analysed);
    expect(states()).toBe(0);
    const cached = await t.request('GET', '/api/v1/experiments/checkout-test/results', { as: viewer });
    expect(cached.json.snapshotId).toBe(read.json.snapshotId);
    // Those final results stay the record when a metric it shares is edited later (retention may
    // have deleted the events they came from).
    const renamed = await t.request('PATCH', '/api/v1/metrics/purchase', {
      as: t.admin,
      body: { name: 'Purchases (all)' },
    });
    expect(renamed.status, renamed.text).toBe(200);
    const record = await t.request('GET', '/api/v1/experiments/checkout-test/results', { as: viewer });
    expect(record.json.snapshotId).toBe(read.json.snapshotId);
    const again = await t.request('POST', '/api/v1/experiments/checkout-test/results/refresh', {
      as: editor,
    });
    expect(again.status).toBe(200);
    expect(again.json.units.analysed).toBe(refreshed.json.units.analysed);
    expect(states()).toBe(0);
  });

  it('documents the routes and the response schema', async () => {
    const doc = (await t.request('GET', '/api/openapi.json')).json;
    expect(doc.paths['/api/v1/experiments/{key}/results'].get['x-flagstaff-access']).toBeDefined();
    expect(doc.paths['/api/v1/experiments/{key}/results'].get.summary).toContain('computed for other');
    expect(doc.paths['/api/v1/experiments/{key}/results/refresh'].post).toBeDefined();
    expect(doc.components.schemas.ExperimentResults).toBeDefined();
  });
});

describe('results across phases and callers', () => {
  const units = (prefix: string, n: number, treatedEvery: number) =>
    Array.from({ length: n }, (_, i) =>
      exposure(`${prefix}${i}`, 'phased', i % treatedEvery ? 'treatment' : 'control', Date.now() - 100),
    );

  it('after a weight change the results count the new phase only, against its weights', async () => {
    const app = await makeTestApp({ ANALYSIS_REFRESH_MINUTES: 0 });
    const sdk = (await app.sdkKey('server')).caller;
    await seedExperimentWorld(app);
    const api = experimentCalls(app);
    expect((await api.create(experimentBody({ key: 'phased' }))).status).toBe(201);
    expect((await api.action('start', undefined, 'phased')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await send(app, sdk, units('p1-', 200, 2));
    const refresh = () =>
      app.request('POST', '/api/v1/experiments/phased/results/refresh', { as: app.admin });
    const phase1 = await refresh();
    expect(phase1.json.phase.number).toBe(1);
    expect(phase1.json.units.analysed).toBe(200);

    const reweighted = await api.patch(
      {
        variations: [
          { key: 'control', value: 'old', weight: 0.2 },
          { key: 'treatment', value: 'new', weight: 0.8 },
        ],
      },
      'phased',
    );
    expect(reweighted.json.warnings[0]).toMatch(/re-bucketed/);
    // GET does not answer from phase 1's snapshot.
    const empty = await app.request('GET', '/api/v1/experiments/phased/results', { as: app.admin });
    expect(empty.json.phase.number).toBe(2);
    expect(empty.json.snapshotId).toBeGreaterThan(phase1.json.snapshotId);
    expect(empty.json.units.analysed).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    // 1 in 5 to control, as the new weights say; a phase-1 unit comes back in the other arm.
    await send(app, sdk, [
      ...units('p2-', 200, 5),
      exposure('p1-0', 'phased', 'treatment', Date.now() - 100),
    ]);
    const phase2 = await refresh();
    expect(phase2.json.units.perVariation).toEqual([
      { key: 'control', units: 40, weight: 0.2 },
      { key: 'treatment', units: 160, weight: 0.8 },
    ]);
    expect(phase2.json.units.total).toBe(200);
    const srm = phase2.json.health.checks.find((c: { check: string }) => c.check === 'srm');
    expect(srm.status).toBe('ok');
  });

  it('a snapshot computed for other settings or metrics is not served: GET computes anew', async () => {
    const app = await makeTestApp({ ANALYSIS_REFRESH_MINUTES: 0 });
    const sdk = (await app.sdkKey('server')).caller;
    await seedExperimentWorld(app);
    const api = experimentCalls(app);
    expect((await api.create(experimentBody({ key: 'edited', secondaryMetrics: [] }))).status).toBe(201);
    expect((await api.action('start', undefined, 'edited')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await send(
      app,
      sdk,
      units('e-', 100, 2).map((e) => ({ ...e, experiment: 'edited' })),
    );
    const get = () => app.request('GET', '/api/v1/experiments/edited/results', { as: app.admin });
    const first = await get();
    expect(first.json.settings.alpha).toBe(0.05);
    expect((await get()).json.snapshotId).toBe(first.json.snapshotId);

    expect((await api.patch({ settings: { alpha: 0.01 } }, 'edited')).status).toBe(200);
    const edited = await get();
    expect(edited.json.snapshotId).toBeGreaterThan(first.json.snapshotId);
    expect(edited.json.settings.alpha).toBe(0.01);
    expect((await get()).json.snapshotId).toBe(edited.json.snapshotId);

    expect((await api.patch({ secondaryMetrics: ['revenue'] }, 'edited')).status).toBe(200);
    const withRevenue = await get();
    expect(withRevenue.json.snapshotId).toBeGreaterThan(edited.json.snapshotId);
    expect(withRevenue.json.metrics.map((m: { key: string }) => m.key)).toContain('revenue');

    // Stopping ends the phase (new results); abandoning then changes only the status.
    expect((await api.action('stop', undefined, 'edited')).status).toBe(200);
    const stopped = await get();
    expect(stopped.json.snapshotId).toBeGreaterThan(withRevenue.json.snapshotId);
    expect(stopped.json.experiment.status).toBe('stopped');
    expect((await api.action('abandon', undefined, 'edited')).status).toBe(200);
    const abandoned = await get();
    expect(abandoned.json.snapshotId).toBe(stopped.json.snapshotId);
    expect(abandoned.json.experiment.status).toBe('abandoned');
  });

  it("a finished experiment's snapshot from before spec_hash (migration 0007) is served, not recomputed", async () => {
    const app = await makeTestApp({ ANALYSIS_REFRESH_MINUTES: 0 });
    const sdk = (await app.sdkKey('server')).caller;
    await seedExperimentWorld(app);
    const api = experimentCalls(app);
    expect((await api.create(experimentBody({ key: 'legacy', secondaryMetrics: [] }))).status).toBe(201);
    expect((await api.action('start', undefined, 'legacy')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await send(
      app,
      sdk,
      units('l-', 100, 2).map((e) => ({ ...e, experiment: 'legacy' })),
    );
    expect((await api.action('ship', { variation: 'treatment' }, 'legacy')).status).toBe(200);
    const get = () => app.request('GET', '/api/v1/experiments/legacy/results', { as: app.admin });
    const final = await get();
    expect(final.json.units.analysed).toBe(100);
    // As stored before the upgrade; since then retention deleted the events (the state went with
    // the ship): computing again would replace the record with results from nothing.
    const { sqlite } = app.db;
    sqlite.exec(
      'UPDATE experiment_snapshots SET spec_hash = NULL; DELETE FROM exposures; DELETE FROM track_events;',
    );
    const read = await get();
    expect(read.json.snapshotId).toBe(final.json.snapshotId);
    expect(read.json.units.analysed).toBe(100);
    expect(read.json.experiment.status).toBe('shipped');
  });

  it('viewers, editors and the admin key read results; SDK keys and anonymous callers do not', async () => {
    const key = '/api/v1/experiments/checkout-test/results';
    expect((await t.request('GET', key, { as: t.admin })).status).toBe(200);
    expect((await t.request('GET', key, { as: editor })).status).toBe(200);
    expect((await t.request('GET', key, { as: server })).status).toBe(403);
    expect((await t.request('GET', key, { as: (await t.sdkKey('client')).caller })).status).toBe(403);
    expect((await t.request('GET', key, {})).status).toBe(401);
    const refresh = `${key}/refresh`;
    expect((await t.request('POST', refresh, { as: server })).status).toBe(403);
    expect((await t.request('POST', refresh, { as: t.admin })).status).toBe(200);
  });
});
