import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});

const createMetric = (body: Record<string, unknown>) =>
  t.request('POST', '/api/v1/metrics', { as: t.admin, body });

describe('metrics', () => {
  it('creates a metric with defaults, lists, gets, updates and deletes it', async () => {
    const created = await createMetric({
      key: 'purchase',
      name: 'Purchase',
      kind: 'binomial',
      eventName: 'purchase',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      key: 'purchase',
      name: 'Purchase',
      description: '',
      kind: 'binomial',
      eventName: 'purchase',
      denominatorEventName: null,
      direction: 'higher',
      windowHours: 72,
      capping: null,
      retention: null,
      cupedLookbackDays: 14,
      repeat: null,
      headlineEffect: 'relative',
    });
    expect(created.json.id).toMatch(/^met_/);
    expect(
      (await createMetric({ key: 'purchase', name: 'Again', kind: 'count', eventName: 'x' })).status,
    ).toBe(409);

    const revenue = await createMetric({
      key: 'revenue',
      name: 'Revenue per user',
      kind: 'mean',
      eventName: 'purchase',
      windowHours: null,
      capping: { type: 'percentile', percentile: 0.99 },
      cupedLookbackDays: 7,
    });
    expect(revenue.status).toBe(201);
    expect(revenue.json).toMatchObject({
      windowHours: null,
      capping: { type: 'percentile', percentile: 0.99 },
    });

    const list = await t.request('GET', '/api/v1/metrics', { as: await t.signIn('viewer') });
    expect(list.json.items.map((m: { key: string }) => m.key)).toEqual(['purchase', 'revenue']);

    const updated = await t.request('PATCH', '/api/v1/metrics/revenue', {
      as: t.admin,
      body: { direction: 'lower', capping: { type: 'value', value: 500 }, name: 'Revenue' },
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({
      direction: 'lower',
      capping: { type: 'value', value: 500 },
      name: 'Revenue',
    });
    expect((await t.request('GET', '/api/v1/metrics/revenue', { as: t.admin })).json.direction).toBe('lower');

    expect((await t.request('DELETE', '/api/v1/metrics/revenue', { as: t.admin })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/metrics/revenue', { as: t.admin })).status).toBe(404);
  });

  it('ratio and retention metrics need their extra fields; errors name the field', async () => {
    const ratio = await createMetric({ key: 'aov', name: 'AOV', kind: 'ratio', eventName: 'revenue' });
    expect(ratio.status).toBe(400);
    expect(ratio.json.error.message).toContain('body.denominatorEventName');
    expect(
      (
        await createMetric({
          key: 'aov',
          name: 'AOV',
          kind: 'ratio',
          eventName: 'revenue',
          denominatorEventName: 'order',
        })
      ).status,
    ).toBe(201);

    const retention = await createMetric({ key: 'd7', name: 'D7', kind: 'retention', eventName: 'visit' });
    expect(retention.json.error.message).toContain('body.retention');
    const backwards = await createMetric({
      key: 'd7',
      name: 'D7',
      kind: 'retention',
      eventName: 'visit',
      retention: { fromDays: 7, toDays: 7 },
    });
    expect(backwards.json.error.message).toContain('body.retention.toDays');
    const d7 = await createMetric({
      key: 'd7',
      name: 'D7',
      kind: 'retention',
      eventName: 'visit',
      retention: { fromDays: 7, toDays: 14 },
    });
    expect(d7.status).toBe(201);
    expect(d7.json.retention).toEqual({ fromDays: 7, toDays: 14 });

    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'median' }, 'body.kind'],
      [{ direction: 'up' }, 'body.direction'],
      [{ windowHours: -1 }, 'body.windowHours'],
      [{ capping: { type: 'percentile', percentile: 1.5 } }, 'body.capping.percentile'],
      [{ kind: 'binomial', capping: { type: 'value', value: 3 } }, 'body.capping'],
      [{ denominatorEventName: 'order' }, 'body.denominatorEventName'],
      [{ cupedLookbackDays: 2.5 }, 'body.cupedLookbackDays'],
      [{ eventName: '' }, 'body.eventName'],
      [{ extra: 1 }, 'body.extra'],
    ];
    for (const [patch, field] of cases) {
      const response = await createMetric({ key: 'm', name: 'M', kind: 'mean', eventName: 'e', ...patch });
      expect(response.status, field).toBe(400);
      expect(response.json.error.message, field).toContain(field);
    }
    const bad = await createMetric({ key: 'Bad Key', name: 'M', kind: 'mean', eventName: 'e' });
    expect(bad.json.error.message).toContain('body.key');
    // An update is checked as the whole metric it produces.
    const toRatio = await t.request('PATCH', '/api/v1/metrics/d7', { as: t.admin, body: { kind: 'ratio' } });
    expect(toRatio.status).toBe(400);
    expect(toRatio.json.error.message).toContain('body.denominatorEventName');
    expect((await t.request('GET', '/api/v1/metrics/d7', { as: t.admin })).json.kind).toBe('retention');
  });

  it('nps and repeat metrics: defaults by kind, the repeat count, capping refused; errors name the field', async () => {
    const nps = await createMetric({ key: 'nps', name: 'NPS', kind: 'nps', eventName: 'survey' });
    expect(nps.status, nps.text).toBe(201);
    expect(nps.json).toMatchObject({ kind: 'nps', headlineEffect: 'absolute', repeat: null, capping: null });
    const relative = await createMetric({
      key: 'nps-lift',
      name: 'NPS lift',
      kind: 'nps',
      eventName: 'survey',
      headlineEffect: 'relative',
    });
    expect(relative.json.headlineEffect).toBe('relative');
    const repeat = await createMetric({ key: 'rebuy', name: 'Rebuy', kind: 'repeat', eventName: 'purchase' });
    expect(repeat.status, repeat.text).toBe(201);
    expect(repeat.json).toMatchObject({ kind: 'repeat', repeat: { atLeast: 2 }, headlineEffect: 'relative' });
    const five = await createMetric({
      key: 'loyal',
      name: 'Loyal',
      kind: 'repeat',
      eventName: 'purchase',
      repeat: { atLeast: 5 },
      headlineEffect: 'absolute',
    });
    expect(five.json).toMatchObject({ repeat: { atLeast: 5 }, headlineEffect: 'absolute' });

    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'mean', repeat: { atLeast: 2 } }, 'body.repeat'],
      [{ kind: 'nps', repeat: { atLeast: 2 } }, 'body.repeat'],
      [{ kind: 'repeat', repeat: { atLeast: 1 } }, 'body.repeat.atLeast'],
      [{ kind: 'repeat', repeat: { atLeast: 1001 } }, 'body.repeat.atLeast'],
      [{ kind: 'repeat', repeat: { atLeast: 2.5 } }, 'body.repeat.atLeast'],
      [{ kind: 'repeat', repeat: { atLeast: 2, times: 3 } }, 'body.repeat.times'],
      [{ kind: 'repeat', capping: { type: 'value', value: 3 } }, 'body.capping'],
      [{ kind: 'nps', capping: { type: 'percentile', percentile: 0.99 } }, 'body.capping'],
      [{ kind: 'nps', headlineEffect: 'percent' }, 'body.headlineEffect'],
    ];
    for (const [patch, field] of cases) {
      const response = await createMetric({ key: 'm', name: 'M', eventName: 'e', ...patch });
      expect(response.status, field).toBe(400);
      expect(response.json.error.message, field).toContain(field);
    }

    const patch = (key: string, body: Record<string, unknown>) =>
      t.request('PATCH', `/api/v1/metrics/${key}`, { as: t.admin, body });
    // Leaving the repeat kind needs `repeat: null`, as leaving retention needs `retention: null`.
    const toMean = await patch('rebuy', { kind: 'mean' });
    expect(toMean.status).toBe(400);
    expect(toMean.json.error.message).toContain('body.repeat');
    expect((await patch('rebuy', { kind: 'mean', repeat: null })).json).toMatchObject({
      kind: 'mean',
      repeat: null,
      headlineEffect: 'relative',
    });
    // Back to repeat without a count: the default one.
    expect((await patch('rebuy', { kind: 'repeat' })).json.repeat).toEqual({ atLeast: 2 });
    expect((await patch('rebuy', { repeat: { atLeast: 3 } })).json.repeat).toEqual({ atLeast: 3 });
    expect((await patch('rebuy', { repeat: { atLeast: 0 } })).json.error.message).toContain(
      'body.repeat.atLeast',
    );
    expect((await patch('rebuy', { capping: { type: 'value', value: 9 } })).status).toBe(400);
    // A kind's default headline effect follows a change of kind; a chosen one stays.
    expect((await patch('nps', { kind: 'count' })).json.headlineEffect).toBe('relative');
    expect((await patch('nps', { kind: 'nps' })).json.headlineEffect).toBe('absolute');
    expect((await patch('loyal', { kind: 'binomial', repeat: null })).json.headlineEffect).toBe('absolute');
    expect((await patch('nps', { headlineEffect: 'relative' })).json.headlineEffect).toBe('relative');
  });

  it('viewers read, editors write', async () => {
    const viewer = await t.signIn('viewer');
    const editor = await t.signIn('editor');
    const body = { key: 'signup', name: 'Signup', kind: 'binomial', eventName: 'signup' };
    expect((await t.request('POST', '/api/v1/metrics', { as: viewer, body })).status).toBe(403);
    expect((await t.request('POST', '/api/v1/metrics', { as: editor, body })).status).toBe(201);
    expect((await t.request('GET', '/api/v1/metrics/signup', { as: viewer })).status).toBe(200);
    expect((await t.request('DELETE', '/api/v1/metrics/signup', { as: viewer })).status).toBe(403);
  });

  it('audits every change with actor and before/after', async () => {
    const editor = await t.signIn('editor');
    const created = await t.request('POST', '/api/v1/metrics', {
      as: editor,
      body: { key: 'signup', name: 'Signup', kind: 'binomial', eventName: 'signup' },
    });
    await t.request('PATCH', '/api/v1/metrics/signup', { as: editor, body: { windowHours: 24 } });
    await t.request('DELETE', '/api/v1/metrics/signup', { as: editor });
    const audit = await t.request('GET', `/api/v1/audit?targetType=metric&targetId=${created.json.id}`, {
      as: t.admin,
    });
    const byAction = Object.fromEntries(
      audit.json.items.map((e: { action: string }) => [e.action, e] as const),
    ) as Record<
      string,
      {
        actor: { type: string };
        before: { windowHours: number } | null;
        after: { windowHours: number } | null;
      }
    >;
    expect(Object.keys(byAction).sort()).toEqual(['metric.create', 'metric.delete', 'metric.update']);
    expect(byAction['metric.update']!.actor.type).toBe('user');
    expect(byAction['metric.update']!.before!.windowHours).toBe(72);
    expect(byAction['metric.update']!.after!.windowHours).toBe(24);
    expect(byAction['metric.delete']!.after).toBeNull();
  });
});
