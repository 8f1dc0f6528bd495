import { beforeEach, describe, expect, it } from 'vitest';
import type { AnalysisSpec as AnalysisInput } from '../../src/analysis/analysis-spec.ts';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';
import { experimentBody, experimentCalls, seedExperimentWorld } from './experiment-helpers.ts';

let t: TestApp;
let api: ReturnType<typeof experimentCalls>;
beforeEach(async () => {
  t = await makeTestApp();
  await seedExperimentWorld(t);
  api = experimentCalls(t);
});

describe('experiments: CRUD', () => {
  it('creates a draft with default settings, lists, gets, updates and deletes it', async () => {
    const created = await api.create();
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      key: 'checkout-test',
      flag: 'checkout',
      environment: 'production',
      status: 'draft',
      coverage: 1,
      hashAttribute: 'id',
      goalMetrics: ['purchase'],
      secondaryMetrics: ['revenue', 'aov'],
      guardrailMetrics: ['latency'],
      settings: {
        alpha: 0.05,
        sided: 'two',
        engine: 'frequentist',
        sequential: true,
        sequentialTuning: null,
        cuped: true,
        correction: 'holm',
        prior: null,
      },
      plan: null,
      planning: null,
      shippedVariation: null,
      phases: [],
    });
    expect((await api.create()).status).toBe(409);

    const viewer = await t.signIn('viewer');
    const list = await t.request('GET', '/api/v1/experiments', { as: viewer });
    expect(list.json.items.map((e: { key: string }) => e.key)).toEqual(['checkout-test']);
    expect((await experimentCalls(t, viewer).create(experimentBody({ key: 'other' }))).status).toBe(403);

    const patched = await api.patch({
      name: 'Checkout v2',
      settings: { engine: 'bayesian', prior: { mean: 0, variance: 0.1 } },
      goalMetrics: ['revenue'],
      secondaryMetrics: [],
      variations: [
        { key: 'control', value: 'old', weight: 0.5 },
        { key: 'treatment', value: 'new', weight: 0.5 },
        { key: 'fast', value: 'fast', weight: 0 },
      ],
      coverage: 0.5,
      hashAttribute: 'deviceId',
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({
      name: 'Checkout v2',
      goalMetrics: ['revenue'],
      secondaryMetrics: [],
      guardrailMetrics: ['latency'],
      coverage: 0.5,
      hashAttribute: 'deviceId',
      settings: { engine: 'bayesian', prior: { mean: 0, variance: 0.1 }, alpha: 0.05, cuped: true },
      warnings: [],
    });
    expect(patched.json.variations).toHaveLength(3); // a variation added with the same leading weights

    expect((await t.request('DELETE', '/api/v1/experiments/checkout-test', { as: t.admin })).status).toBe(
      204,
    );
    expect((await api.get()).status).toBe(404);
  });

  it('validates the flag, environment, variation values, weights and metrics, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ flag: 'nope' }, 'body.flag'],
      [{ environment: 'mars' }, 'body.environment'],
      [
        {
          variations: [
            { key: 'control', value: 'old', weight: 0.5 },
            { key: 'treatment', value: 42, weight: 0.5 },
          ],
        },
        'body.variations.1.value',
      ],
      [
        {
          variations: [
            { key: 'control', value: 'old', weight: 0.5 },
            { key: 'treatment', value: 'new', weight: 0.6 },
          ],
        },
        'body.variations',
      ],
      [{ variations: [{ key: 'control', value: 'old', weight: 1 }] }, 'body.variations'],
      [{ goalMetrics: ['purchase', 'unknown'] }, 'body.goalMetrics.1'],
      [{ guardrailMetrics: ['latency', 'latency'] }, 'body.guardrailMetrics.1'],
      [{ secondaryMetrics: ['revenue', 'purchase'] }, 'body.secondaryMetrics.1'],
      [{ coverage: 0 }, 'body.coverage'],
      [{ settings: { alpha: 2 } }, 'body.settings.alpha'],
      [{ settings: { correction: 'bonferroni' } }, 'body.settings.correction'],
      [{ key: 'x'.repeat(60) }, 'body.key'],
    ];
    for (const [patch, field] of cases) {
      const response = await api.create(experimentBody(patch));
      expect(response.status, field).toBe(400);
      expect(response.json.error.message, field).toContain(field);
    }
    const twice = await api.create(experimentBody({ secondaryMetrics: ['revenue', 'purchase'] }));
    expect(twice.json.error.message).toContain("'purchase' is already listed in goalMetrics");
    expect((await t.request('GET', '/api/v1/experiments', { as: t.admin })).json.items).toEqual([]);
  });

  it('a PATCH listing a metric already in another role names the field it sent', async () => {
    const body = experimentBody({ goalMetrics: ['purchase'], secondaryMetrics: ['revenue'] });
    expect((await api.create(body)).status).toBe(201);
    // Promoting revenue without taking it out of secondaryMetrics: the stored list is not the request's.
    const promoted = await api.patch({ goalMetrics: ['purchase', 'revenue'] });
    expect(promoted.status).toBe(400);
    expect(promoted.json.error.details.issues).toEqual([
      { path: 'body.goalMetrics.1', message: "'revenue' is already listed in secondaryMetrics" },
    ]);
    const both = await api.patch({ goalMetrics: ['purchase', 'revenue'], secondaryMetrics: ['revenue'] });
    expect(both.json.error.details.issues).toEqual([
      { path: 'body.secondaryMetrics.0', message: "'revenue' is already listed in goalMetrics" },
    ]);
    const moved = await api.patch({ goalMetrics: ['purchase', 'revenue'], secondaryMetrics: [] });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json.goalMetrics).toEqual(['purchase', 'revenue']);
  });
});

describe('experiments: lifecycle', () => {
  it('start writes the experiment rule (turning the flag on); the ruleset carries its weights and meta', async () => {
    const server = (await t.sdkKey('server')).caller;
    await api.create(experimentBody({ coverage: 0.8 }));
    const started = await api.action('start');
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ status: 'running', flagEnabled: true });
    expect(started.json.phases).toEqual([
      { number: 1, startedAt: expect.any(String), endedAt: null, weights: [0.5, 0.5], coverage: 0.8 },
    ]);

    const config = await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin });
    expect(config.json.enabled).toBe(true);
    expect(config.json.rules).toEqual([
      expect.objectContaining({
        id: 'exp_checkout-test',
        type: 'experiment',
        experiment: 'checkout-test',
        coverage: 0.8,
        hashAttribute: 'id',
        phase: '1',
      }),
    ]);

    const ruleset = await t.request('GET', '/sdk/v1/ruleset', { as: server });
    expect(ruleset.json.features.checkout.rules).toEqual([
      expect.objectContaining({
        id: 'exp_checkout-test',
        key: 'checkout-test',
        variations: ['old', 'new'],
        weights: [0.5, 0.5],
        meta: [{ key: 'control' }, { key: 'treatment' }],
        coverage: 0.8,
        hashAttribute: 'id',
        phase: '1',
      }),
    ]);
    // Other environments are untouched.
    const dev = await t.request('GET', '/api/v1/flags/checkout/environments/development', { as: t.admin });
    expect(dev.json).toMatchObject({ enabled: false, rules: [] });

    // Starting switched the flag on, so stopping switches it off again: it serves what it did before.
    expect((await api.action('stop')).status).toBe(200);
    const after = await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin });
    expect(after.json).toMatchObject({ enabled: false, rules: [] });
    expect(
      (await t.request('GET', '/sdk/v1/ruleset', { as: server })).json.features.checkout.rules,
    ).toBeUndefined();
  });

  it('start appends after the existing rules; stop removes the rule and the flag serves what it did', async () => {
    const client = (await t.sdkKey('client')).caller;
    await t.request('PUT', '/api/v1/flags/checkout/environments/production', {
      as: t.admin,
      body: {
        enabled: true,
        version: 0,
        rules: [{ id: 'vip', type: 'force', value: 'vip', condition: { vip: true } }],
      },
    });
    await api.create();
    const started = await api.action('start');
    expect(started.json.flagEnabled).toBe(false);
    const rules = (await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin }))
      .json.rules;
    expect(rules.map((r: { id: string }) => r.id)).toEqual(['vip', 'exp_checkout-test']);

    const evaluate = async (attributes: Record<string, unknown>) =>
      (await t.request('POST', '/sdk/v1/evaluate', { as: client, body: { attributes } })).json.flags.checkout;
    const split = await evaluate({ id: 'user-1' });
    expect(split).toMatchObject({ reason: 'SPLIT', exposure: { experiment: 'checkout-test' } });
    expect(['old', 'new']).toContain(split.value);
    expect(await evaluate({ id: 'user-1', vip: true })).toMatchObject({ value: 'vip' });

    const stopped = await api.action('stop');
    expect(stopped.status).toBe(200);
    expect(stopped.json.status).toBe('stopped');
    expect(stopped.json.phases[0].endedAt).toEqual(expect.any(String));
    const after = (await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin }))
      .json;
    expect(after.rules.map((r: { id: string }) => r.id)).toEqual(['vip']);
    expect(await evaluate({ id: 'user-1' })).toMatchObject({ value: 'old' });
    expect((await evaluate({ id: 'user-1' })).exposure).toBeUndefined();
  });

  it("the flag API may reorder a running experiment's rule but not change, disable, drop or forge one", async () => {
    await api.create();
    await api.action('start');
    const path = '/api/v1/flags/checkout/environments/production';
    const read = async () => (await t.request('GET', path, { as: t.admin })).json;
    const before = await read();
    const put = (rules: unknown[], version = before.version) =>
      t.request('PUT', path, { as: t.admin, body: { enabled: true, version, rules } });
    const [managed] = before.rules;

    const changed = await put([{ ...managed, coverage: 0.1 }]);
    expect(changed.status).toBe(409);
    expect(changed.json.error.message).toMatch(
      /rule 'exp_checkout-test' is managed by experiment 'checkout-test'/,
    );
    expect((await put([])).status).toBe(409);
    expect((await put([{ ...managed, enabled: false }])).status).toBe(409);
    const toggled = await t.request('PATCH', path, {
      as: t.admin,
      body: { version: before.version, ruleEnabled: { 'exp_checkout-test': false } },
    });
    expect(toggled.status).toBe(409);
    expect(await read()).toEqual(before); // nothing written

    // Sending it back as read, next to new rules, is fine, and so is moving it.
    const vip = { id: 'vip', type: 'force', value: 'vip', condition: { vip: true } };
    expect((await put([managed, vip])).status).toBe(200);
    const reordered = await t.request('PATCH', path, {
      as: t.admin,
      body: { version: before.version + 1, ruleOrder: ['vip', 'exp_checkout-test'] },
    });
    expect(reordered.status).toBe(200);

    // Once stopped, the rule is gone and its id cannot be forged on another flag config.
    await api.action('stop');
    const after = await read();
    expect((await put([{ ...managed }], after.version)).status).toBe(409);
  });

  it('one running experiment per flag and environment', async () => {
    await api.create();
    await api.create(experimentBody({ key: 'checkout-rival' }));
    expect((await api.action('start')).status).toBe(200);
    const refused = await api.action('start', undefined, 'checkout-rival');
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toMatch(
      /experiment 'checkout-test' is already running on flag 'checkout'/,
    );
    expect((await api.get('checkout-rival')).json.status).toBe('draft');
    await api.action('stop');
    expect((await api.action('start', undefined, 'checkout-rival')).status).toBe(200);
  });

  it('ship serves the chosen variation in that environment only, via a force rule on top', async () => {
    const client = (await t.sdkKey('client')).caller;
    const devClient = (await t.sdkKey('client', 'development')).caller;
    await api.create();
    await api.action('start');
    const unknown = await api.action('ship', { variation: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toContain('body.variation');
    expect((await api.action('ship', { variation: 'treatment', via: 'ramp' })).json.error.message).toContain(
      'body.via',
    );
    const shipped = await api.action('ship', { variation: 'treatment' });
    expect(shipped.status).toBe(200);
    expect(shipped.json).toMatchObject({ status: 'shipped', shippedVariation: 'treatment' });
    expect(shipped.json.phases[0].endedAt).toEqual(expect.any(String));

    const config = (await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin }))
      .json;
    expect(config.enabled).toBe(true);
    expect(config.rules).toEqual([
      expect.objectContaining({ id: 'ship_checkout-test', type: 'force', value: 'new' }),
    ]);
    for (const id of ['a', 'b', 'c', 'd']) {
      const result = (
        await t.request('POST', '/sdk/v1/evaluate', { as: client, body: { attributes: { id } } })
      ).json.flags.checkout;
      expect(result.value).toBe('new');
    }
    const dev = await t.request('POST', '/sdk/v1/evaluate', {
      as: devClient,
      body: { attributes: { id: 'a' } },
    });
    expect(dev.json.flags.checkout.value).toBe('old');
    expect((await t.request('GET', '/api/v1/flags/checkout', { as: t.admin })).json.defaultValue).toBe('old');
  });

  it('a stopped experiment can still ship; invalid transitions are 409 naming the status', async () => {
    await api.create();
    const cases: ['start' | 'stop' | 'ship' | 'abandon', string, number][] = [
      ['stop', 'draft', 409],
      ['ship', 'draft', 409],
      ['start', 'draft', 200],
      ['start', 'running', 409],
      ['stop', 'running', 200],
      ['stop', 'stopped', 409],
      ['start', 'stopped', 409],
      ['ship', 'stopped', 200],
      ['abandon', 'shipped', 409],
      ['ship', 'shipped', 409],
    ];
    for (const [action, status, expected] of cases) {
      const response = await api.action(action, action === 'ship' ? { variation: 'control' } : undefined);
      expect(response.status, `${action} from ${status}`).toBe(expected);
      if (expected === 409) {
        expect(response.json.error.message).toContain(`is ${status}`);
        expect(response.json.error.details).toEqual({ status });
      }
    }
    const config = (await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin }))
      .json;
    expect(config.rules).toEqual([expect.objectContaining({ id: 'ship_checkout-test', value: 'old' })]);
    expect((await t.request('DELETE', '/api/v1/experiments/checkout-test', { as: t.admin })).status).toBe(
      409,
    );
  });

  it('a refused start changes nothing (status, phases, flag config)', async () => {
    await api.create();
    await t.request('POST', '/api/v1/flags/checkout/archive', { as: t.admin });
    const refused = await api.action('start');
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('archived');
    expect((await api.get()).json).toMatchObject({ status: 'draft', phases: [] });
    const config = (await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin }))
      .json;
    expect(config).toMatchObject({ enabled: false, rules: [], version: 0 });
    await t.request('POST', '/api/v1/flags/checkout/unarchive', { as: t.admin });
    // A failure while writing the flag config rolls back the phase and the status with it.
    const store = t.services.stores.flags;
    const upsertConfig = store.upsertConfig;
    store.upsertConfig = async () => {
      throw new Error('disk full');
    };
    expect((await api.action('start')).status).toBe(500);
    store.upsertConfig = upsertConfig;
    expect((await api.get()).json).toMatchObject({ status: 'draft', phases: [] });
    const audit = await t.request('GET', '/api/v1/audit?action=experiment.start', { as: t.admin });
    expect(audit.json.items).toEqual([]);
    expect((await api.action('start')).status).toBe(200);
  });

  it('abandon removes a running experiment rule; drafts can be abandoned too', async () => {
    await api.create();
    await api.create(experimentBody({ key: 'idea' }));
    await api.action('start');
    expect((await api.action('abandon')).json.status).toBe('abandoned');
    expect((await api.action('abandon', undefined, 'idea')).json.status).toBe('abandoned');
    const config = (await t.request('GET', '/api/v1/flags/checkout/environments/production', { as: t.admin }))
      .json;
    expect(config.rules).toEqual([]);
    expect((await api.action('start')).status).toBe(409);
  });

  it('changing weights of a running experiment starts phase 2 with a warning; other fields do not', async () => {
    const server = (await t.sdkKey('server')).caller;
    await api.create();
    await api.action('start');
    const renamed = await api.patch({ name: 'Renamed', settings: { alpha: 0.1 }, guardrailMetrics: [] });
    expect(renamed.status).toBe(200);
    expect(renamed.json.warnings).toEqual([]);
    expect(renamed.json.phases).toHaveLength(1);
    expect(renamed.json.settings).toMatchObject({ alpha: 0.1, sequential: true });

    const reweighted = await api.patch({
      variations: [
        { key: 'control', value: 'old', weight: 0.2 },
        { key: 'treatment', value: 'new', weight: 0.8 },
      ],
    });
    expect(reweighted.status).toBe(200);
    expect(reweighted.json.warnings).toHaveLength(1);
    expect(reweighted.json.warnings[0]).toContain('re-bucketed');
    expect(reweighted.json.phases).toMatchObject([
      { number: 1, weights: [0.5, 0.5], coverage: 1, endedAt: expect.any(String) },
      { number: 2, weights: [0.2, 0.8], coverage: 1, endedAt: null },
    ]);
    const rule = (await t.request('GET', '/sdk/v1/ruleset', { as: server })).json.features.checkout.rules[0];
    expect(rule).toMatchObject({ weights: [0.2, 0.8], phase: '2', coverage: 1 });

    const covered = await api.patch({ coverage: 0.5 });
    expect(covered.json.phases.map((p: { number: number }) => p.number)).toEqual([1, 2, 3]);
    expect(
      (await t.request('GET', '/sdk/v1/ruleset', { as: server })).json.features.checkout.rules[0],
    ).toMatchObject({ weights: [0.2, 0.8], phase: '3', coverage: 0.5 });

    const renamedVariation = await api.patch({
      variations: [
        { key: 'control', value: 'old', weight: 0.5 },
        { key: 'other', value: 'new', weight: 0.5 },
      ],
    });
    expect(renamedVariation.status).toBe(409);
    expect(renamedVariation.json.error.message).toContain('body.variations');
    for (const body of [
      { flag: 'checkout' },
      { environment: 'development' },
      { hashAttribute: 'deviceId' },
    ]) {
      const response = await api.patch(body);
      expect(response.status).toBe(409);
      expect(response.json.error.message).toContain(`body.${Object.keys(body)[0]}`);
      expect(response.json.error.message).toContain('running');
    }
    await api.action('stop');
    expect((await api.patch({ coverage: 0.9 })).status).toBe(409);
    expect((await api.patch({ hypothesis: 'Still editable' })).status).toBe(200);
  });
});

describe('experiments: references', () => {
  it('a flag used by a draft, running or stopped experiment cannot be deleted', async () => {
    await api.create();
    const refused = await t.request('DELETE', '/api/v1/flags/checkout', { as: t.admin });
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('experiment checkout-test (draft)');
    await api.action('start');
    await api.action('stop');
    expect(
      (await t.request('DELETE', '/api/v1/flags/checkout', { as: t.admin })).json.error.message,
    ).toContain('experiment checkout-test (stopped)');
    await api.action('ship', { variation: 'control' });
    expect((await t.request('DELETE', '/api/v1/flags/checkout', { as: t.admin })).status).toBe(204);
    // The finished experiment keeps its history and the flag's key.
    expect((await api.get()).json).toMatchObject({ status: 'shipped', flag: 'checkout' });
  });

  it('a metric used by an experiment cannot be deleted', async () => {
    await api.create();
    const refused = await t.request('DELETE', '/api/v1/metrics/aov', { as: t.admin });
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('checkout-test');
    await api.patch({ secondaryMetrics: ['revenue'] });
    expect((await t.request('DELETE', '/api/v1/metrics/aov', { as: t.admin })).status).toBe(204);
  });
});

describe('experiments: audit and the analysis spec', () => {
  it('audits every change with actor and before/after', async () => {
    const editor = await t.signIn('editor');
    const calls = experimentCalls(t, editor);
    const created = await calls.create();
    await calls.action('start');
    await calls.patch({ coverage: 0.5 });
    await calls.action('stop');
    await calls.action('ship', { variation: 'treatment' });
    const audit = await t.request('GET', `/api/v1/audit?targetType=experiment&targetId=${created.json.id}`, {
      as: t.admin,
    });
    const items = [...audit.json.items].reverse() as {
      action: string;
      actor: { type: string };
      before: { status: string } | null;
      after: { status: string; flagEnabled?: boolean; warnings?: string[] };
    }[];
    expect(items.map((e) => e.action)).toEqual([
      'experiment.create',
      'experiment.start',
      'experiment.update',
      'experiment.stop',
      'experiment.ship',
    ]);
    expect(items.every((e) => e.actor.type === 'user')).toBe(true);
    expect(items[1]).toMatchObject({
      before: { status: 'draft' },
      after: { status: 'running', flagEnabled: true },
    });
    expect(items[2]!.after.warnings).toHaveLength(1);
    expect(items[4]).toMatchObject({ before: { status: 'stopped' }, after: { status: 'shipped' } });
    // The flag config changes are audited on the flag as well.
    const flagAudit = await t.request('GET', '/api/v1/audit?action=flag.config.update', { as: t.admin });
    expect(flagAudit.json.items).toHaveLength(4); // start, new phase, stop, ship
  });

  it('getAnalysisSpec: current phase, environment id and full metric definitions, goal first', async () => {
    await api.create();
    await expect(t.services.experiments.getAnalysisSpec('checkout-test')).rejects.toThrow(/draft/);
    await api.action('start');
    await api.patch({
      variations: [
        { key: 'control', value: 'old', weight: 0.3 },
        { key: 'treatment', value: 'new', weight: 0.7 },
      ],
    });
    // The analysis reads its own structural copy of the type: this assignment keeps the two in step.
    const spec: AnalysisInput & { experiment: { environmentKey: string; flagKey: string } } =
      await t.services.experiments.getAnalysisSpec('checkout-test');
    const production = await t.services.stores.environments.byKey('production');
    expect(spec.experiment).toMatchObject({
      key: 'checkout-test',
      environmentId: production!.id,
      environmentKey: 'production',
      flagKey: 'checkout',
      status: 'running',
      settings: { alpha: 0.05, cuped: true, correction: 'holm', sequentialTuning: 5000 },
    });
    expect(spec.phase).toMatchObject({ number: 2, endedAt: null, weights: [0.3, 0.7], coverage: 1 });
    expect(spec.phase.startedAt).toBeInstanceOf(Date);
    expect(spec.variations).toEqual([
      { key: 'control', weight: 0.3 },
      { key: 'treatment', weight: 0.7 },
    ]);
    expect(spec.metrics.map((m) => [m.role, m.key])).toEqual([
      ['goal', 'purchase'],
      ['secondary', 'revenue'],
      ['secondary', 'aov'],
      ['guardrail', 'latency'],
    ]);
    expect(spec.metrics[2]).toEqual({
      role: 'secondary',
      key: 'aov',
      name: 'Order value',
      kind: 'ratio',
      eventName: 'revenue',
      denominatorEventName: 'order',
      direction: 'higher',
      windowHours: 72,
      retention: null,
      capping: { type: 'value', value: 1000 },
      cupedLookbackDays: 14,
      repeat: null,
      headlineEffect: 'relative',
    });
    expect(spec.metrics[1]!.windowHours).toBeNull();
    const first = await t.services.experiments.getAnalysisSpec('checkout-test', 1);
    expect(first.phase).toMatchObject({ number: 1, weights: [0.5, 0.5], endedAt: expect.any(Date) });
    expect(first.variations.map((v) => v.weight)).toEqual([0.5, 0.5]);
  });
});
