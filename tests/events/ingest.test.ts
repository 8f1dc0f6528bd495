// POST /sdk/v1/events through the app: partial batches, duplicates, skew, sizes, credentials,
// what is stored, and the first-exposure records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, exposure, makeEventsApp, newId, track } from './helpers.ts';

type EventsApp = Awaited<ReturnType<typeof makeEventsApp>>;
let t: EventsApp;
let server: Awaited<ReturnType<EventsApp['key']>>;
let client: Awaited<ReturnType<EventsApp['key']>>;

beforeAll(async () => {
  t = await makeEventsApp({ EVENTS_MAX_BATCH: 50, EVENTS_MAX_BODY_BYTES: 64 * 1024 }, { file: true });
  server = await t.key('server');
  client = await t.key('client', 'development');
});
afterAll(() => t.close());

describe('POST /sdk/v1/events', () => {
  it('stores exposures and tracks with environment, key and received time, and answers 202', async () => {
    const before = Date.now();
    const events = [
      exposure('u-store', 'exp-store', 'treatment', { flag: 'new-checkout', attributes: { country: 'FR' } }),
      track('u-store', 'purchase', { value: 12.5, properties: { sku: 'a1' } }),
      track('u-store', 'visit'),
    ];
    const written = t.writer.stats.events;
    const res = await t.post(server.secret, { events });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    // The writer's counters are on /metrics.
    const metrics = await (
      await t.app.request('/metrics', { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    ).text();
    expect(metrics).toContain(`flagstaff_events_written_total ${written + 3}\n`);
    expect(metrics).toMatch(/flagstaff_events_pending 0\n/);
    expect(metrics).toMatch(/# TYPE flagstaff_event_batches_refused_total counter/);
    const row = t.db.sqlite.prepare('SELECT * FROM exposures WHERE id = ?').get(events[0]!.id) as Record<
      string,
      unknown
    >;
    expect(row).toMatchObject({
      environment_id: server.environmentId,
      key_id: server.id,
      unit: 'u-store',
      experiment: 'exp-store',
      variation: 'treatment',
      flag: 'new-checkout',
      ts: events[0]!.ts,
    });
    expect(JSON.parse(row.attributes as string)).toEqual({ country: 'FR' });
    expect(row.received_at).toBeGreaterThanOrEqual(before);
    const purchase = t.db.sqlite
      .prepare('SELECT * FROM track_events WHERE id = ?')
      .get(events[1]!.id) as Record<string, unknown>;
    expect(purchase).toMatchObject({ event: 'purchase', value: 12.5, unit: 'u-store', key_id: server.id });
    expect(JSON.parse(purchase.properties as string)).toEqual({ sku: 'a1' });
    const visit = t.db.sqlite
      .prepare('SELECT value, properties FROM track_events WHERE id = ?')
      .get(events[2]!.id);
    expect(visit).toEqual({ value: null, properties: null });
  });

  it('keeps the valid events of a batch and lists the invalid ones with index, code and field', async () => {
    const good1 = track('u-partial', 'click');
    const good2 = exposure('u-partial', 'exp-partial', 'control');
    const events = [
      good1,
      { ...track('u-partial', 'click'), unit: '' },
      { type: 'page', id: newId(), ts: Date.now() },
      good2,
      { ...exposure('u-partial', 'exp-partial', 'control'), surprise: true },
      'not an event',
      { ...track('u-partial', 'click'), value: 'ten' },
    ];
    const res = await t.post(client.secret, { events });
    expect(res.status).toBe(202);
    expect(res.json.accepted).toBe(2);
    expect(res.json.duplicates).toBe(0);
    expect(res.json.rejected.map((r: { index: number }) => r.index)).toEqual([1, 2, 4, 5, 6]);
    for (const rejection of res.json.rejected) expect(rejection.code).toBe('validation_failed');
    expect(res.json.rejected[0].message).toMatch(/^events\.1\.unit: /);
    expect(res.json.rejected[2].message).toMatch(/^events\.4.*surprise/);
    expect(res.json.rejected[4].message).toMatch(/^events\.6\.value: /);
    expect(t.count('track_events', 'id = ?', good1.id)).toBe(1);
    expect(t.count('exposures', 'id = ?', good2.id)).toBe(1);
  });

  it('counts a resent event as a duplicate and stores it once, within a batch and across batches', async () => {
    const a = track('u-dup', 'signup');
    const b = exposure('u-dup', 'exp-dup', 'control');
    const first = await t.post(server.secret, { events: [a, b, a] });
    expect(first.json).toEqual({ accepted: 2, duplicates: 1, rejected: [] });
    const again = await t.post(server.secret, { events: [b, a, track('u-dup', 'signup')] });
    expect(again.json).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
    // The same instant written as ISO-8601 is the same event.
    const iso = await t.post(server.secret, { events: [{ ...a, ts: new Date(a.ts).toISOString() }] });
    expect(iso.json).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    expect(t.count('track_events', 'id = ?', a.id)).toBe(1);
    expect(t.count('exposures', 'id = ?', b.id)).toBe(1);
  });

  it('accepts ts as epoch milliseconds or ISO-8601, and rejects timestamps too far in the future or past', async () => {
    const now = Date.now();
    const hour = 3_600_000;
    const day = 24 * hour;
    const events = [
      track('u-skew', 'e', { ts: new Date(now - hour).toISOString() }),
      track('u-skew', 'e', { ts: '2020-01-01T00:00:00+02:00' }),
      track('u-skew', 'e', { ts: now + 23 * hour }),
      track('u-skew', 'e', { ts: now + 25 * hour }),
      track('u-skew', 'e', { ts: now - 29 * day }),
      track('u-skew', 'e', { ts: now - 31 * day }),
      track('u-skew', 'e', { ts: 'yesterday' }),
      track('u-skew', 'e', { ts: 1.5 }),
    ];
    const res = await t.post(server.secret, { events });
    expect(res.status).toBe(202);
    expect(res.json.accepted).toBe(3);
    expect(res.json.rejected.map((r: { index: number; code: string }) => [r.index, r.code])).toEqual([
      [1, 'timestamp_out_of_range'],
      [3, 'timestamp_out_of_range'],
      [5, 'timestamp_out_of_range'],
      [6, 'validation_failed'],
      [7, 'validation_failed'],
    ]);
    expect(res.json.rejected[1].message).toMatch(/events\.3\.ts: .* too far in the future/);
    const stored = t.db.sqlite.prepare("SELECT ts FROM track_events WHERE unit = 'u-skew' ORDER BY ts").all();
    expect(stored).toEqual([
      { ts: now - 29 * day },
      { ts: Date.parse(events[0]!.ts as unknown as string) },
      { ts: now + 23 * hour },
    ]);
  });

  it('answers 400 with nothing written for a malformed body or too many events', async () => {
    const before = t.count('track_events');
    const cases: [unknown, string][] = [
      ['{"events": [', 'malformed_json'],
      [{ events: 'x' }, 'validation_failed'],
      [{ events: [] }, 'validation_failed'],
      [{ events: [track('u', 'e')], extra: 1 }, 'validation_failed'],
      [[track('u', 'e')], 'validation_failed'],
      [{ events: Array.from({ length: 51 }, () => track('u-many', 'e')) }, 'validation_failed'],
    ];
    for (const [body, code] of cases) {
      const res = await t.post(server.secret, body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(res.json.error.code).toBe(code);
    }
    expect(
      (await t.post(server.secret, { events: [track('u', 'e')] }, { 'content-type': 'application/xml' }))
        .status,
    ).toBe(415);
    expect(t.count('track_events')).toBe(before);
  });

  it('takes a sendBeacon batch: text/plain JSON with the key as ?key=', async () => {
    const response = await t.app.request(`/sdk/v1/events?key=${server.secret}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ events: [track('u-beacon', 'page_hide')] }),
    });
    expect(response.status).toBe(202);
    expect((await response.json()).accepted).toBe(1);
  });

  it('answers 413 for a body over EVENTS_MAX_BODY_BYTES (and allows more than MAX_BODY_BYTES elsewhere)', async () => {
    const big = { events: [track('u-big', 'e', { properties: { blob: 'x'.repeat(70 * 1024) } })] };
    const res = await t.post(server.secret, big);
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('payload_too_large');
    expect(t.count('track_events', "unit = 'u-big'")).toBe(0);
  });

  it('needs a client or server key: 401 without credentials, 403 for an admin key or a user', async () => {
    const events = [track('u-auth', 'e')];
    expect((await t.post(undefined, { events })).status).toBe(401);
    expect((await t.post('fs_server_bogus', { events })).status).toBe(401);
    const admin = await t.key('admin');
    const asAdmin = await t.post(admin.secret, { events });
    expect(asAdmin.status).toBe(403);
    expect(asAdmin.json.error.code).toBe('forbidden');
    await t.services.users.create(
      { email: 'viewer@example.com', password: 'correct horse battery staple', role: 'admin' },
      { type: 'system', id: 'system', label: 'system' },
    );
    const login = await t.app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'viewer@example.com', password: 'correct horse battery staple' }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const asUser = await t.post(undefined, { events }, { cookie, 'x-csrf-token': csrfToken });
    expect(asUser.status).toBe(403);
    expect(t.count('track_events', "unit = 'u-auth'")).toBe(0);
  });

  it('accepts exposures of experiments nobody defined (yet), in the key environment', async () => {
    const e = exposure('u-unknown', 'defined-next-week', 'v1');
    expect((await t.post(client.secret, { events: [e] })).json.accepted).toBe(1);
    expect(t.db.sqlite.prepare('SELECT environment_id FROM exposures WHERE id = ?').get(e.id)).toEqual({
      environment_id: client.environmentId,
    });
  });

  it('keeps the first exposure per (environment, experiment, unit) and flags units seen in several variations', async () => {
    const t0 = Date.now() - 60_000;
    const unitRow = (unit: string, environmentId = server.environmentId) =>
      t.db.sqlite
        .prepare(
          'SELECT first_exposure_at AS at, variation, multiple_variations AS multiple FROM experiment_units WHERE environment_id = ? AND experiment = ? AND unit = ?',
        )
        .get(environmentId, 'exp-first', unit);
    await t.post(server.secret, {
      events: [
        exposure('u1', 'exp-first', 'control', { ts: t0 + 1000 }),
        exposure('u1', 'exp-first', 'control', { ts: t0 + 2000 }),
        exposure('u2', 'exp-first', 'treatment', { ts: t0 + 5000 }),
      ],
    });
    expect(unitRow('u1')).toEqual({ at: t0 + 1000, variation: 'control', multiple: 0 });
    expect(unitRow('u2')).toEqual({ at: t0 + 5000, variation: 'treatment', multiple: 0 });
    // An earlier exposure arriving late moves the start; another variation raises the flag.
    await t.post(server.secret, { events: [exposure('u2', 'exp-first', 'treatment', { ts: t0 })] });
    expect(unitRow('u2')).toEqual({ at: t0, variation: 'treatment', multiple: 0 });
    await t.post(server.secret, { events: [exposure('u1', 'exp-first', 'treatment', { ts: t0 + 9000 })] });
    expect(unitRow('u1')).toEqual({ at: t0 + 1000, variation: 'control', multiple: 1 });
    // Out of order, in other variations, in one batch: the earliest wins and the flag is set.
    await t.post(server.secret, {
      events: [
        exposure('u3', 'exp-first', 'b', { ts: t0 + 500 }),
        exposure('u3', 'exp-first', 'a', { ts: t0 + 100 }),
      ],
    });
    expect(unitRow('u3')).toEqual({ at: t0 + 100, variation: 'a', multiple: 1 });
    // Duplicates do not count as exposures; another environment has its own record.
    await t.post(client.secret, { events: [exposure('u1', 'exp-first', 'z', { ts: t0 })] });
    expect(unitRow('u1')).toEqual({ at: t0 + 1000, variation: 'control', multiple: 1 });
    expect(unitRow('u1', client.environmentId)).toEqual({ at: t0, variation: 'z', multiple: 0 });
  });

  it('is described in the OpenAPI document with its access rule and the event schemas', async () => {
    const doc = (await (await t.app.request('/api/openapi.json')).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { schemas: Record<string, unknown> };
    };
    const op = doc.paths['/sdk/v1/events']!.post!;
    expect(op['x-flagstaff-access']).toBe('sdk:client,server');
    expect(Object.keys(op.responses as object)).toContain('202');
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['EventBatch', 'ExposureEvent', 'TrackEvent', 'EventsAccepted']),
    );
  });
});
