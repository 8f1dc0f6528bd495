import { beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/test-app.ts';
import { expectClose, fixtures, type ReferenceCase, type ReferenceEffect } from '../stats/fixture-helpers.ts';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});

const analyze = (body: unknown, as = t.admin) => t.request('POST', '/api/v1/analyze', { as, body });

/** The reference cases are fixed-horizon and CUPED-free unless `settings` says otherwise. */
function bodyFor(c: ReferenceCase, settings: Record<string, unknown>) {
  return {
    metric: { kind: c.kind, direction: c.direction ?? 'higher' },
    variations: [
      { key: 'control', weight: 1, ...c.control },
      { key: 'treatment', weight: 1, ...c.treatment },
    ],
    settings: {
      ...(c.alpha === undefined ? {} : { alpha: c.alpha }),
      sided: c.sided,
      sequential: false,
      cuped: false,
      ...settings,
    },
  };
}

type EffectJson = { estimate: number; se: number; ci: [number | null, number | null]; pValue: number | null };
function expectEffect(actual: EffectJson, expected: ReferenceEffect, label: string, withPValue = true) {
  expectClose(actual.estimate, expected.estimate, `${label} estimate`);
  expectClose(actual.se, expected.se, `${label} se`);
  expectClose(actual.ci[0], expected.ci[0], `${label} ci lower`);
  expectClose(actual.ci[1], expected.ci[1], `${label} ci upper`);
  if (withPValue) expectClose(actual.pValue, expected.pValue ?? null, `${label} pValue`);
}

const welch = (name: string) => fixtures.welch.find((c) => c.name === name)!;

describe('POST /api/v1/analyze', () => {
  it('a Welch test matches the scipy reference (fixture normal-0), without Bayesian fields', async () => {
    const c = welch('normal-0');
    const response = await analyze(bodyFor(c, {}), await t.signIn('viewer'));
    expect(response.status).toBe(200);
    expect(response.json.srm).toEqual({ pValue: expect.any(Number), healthy: true });
    expect(response.json.comparisons).toHaveLength(1);
    const [comparison] = response.json.comparisons;
    expect(comparison.variation).toBe('treatment');
    expectEffect(comparison.absolute, c.absolute, 'absolute');
    expectEffect(comparison.relative, c.relative, 'relative');
    expect(comparison).not.toHaveProperty('chanceToWin');
    expect(comparison).not.toHaveProperty('risk');
  });

  it('binomial and ratio metrics match their references too', async () => {
    for (const name of ['binomial-0', 'ratio-0']) {
      const c = welch(name);
      const response = await analyze(bodyFor(c, {}));
      expect(response.status, name).toBe(200);
      expectEffect(response.json.comparisons[0].absolute, c.absolute, `${name} absolute`);
      expectEffect(response.json.comparisons[0].relative, c.relative, `${name} relative`);
    }
  });

  it('pre with cuped, and sequential with sequentialTuning, match their references', async () => {
    const cuped = fixtures.cuped[0]!;
    const sequential = fixtures.sequential.find((c) => c.tuning !== 5000)!;
    for (const [c, settings] of [
      [cuped, { cuped: true }],
      [sequential, { sequential: true, sequentialTuning: sequential.tuning }],
    ] as const) {
      const response = await analyze(bodyFor(c, settings));
      expect(response.status, c.name).toBe(200);
      expectEffect(response.json.comparisons[0].absolute, c.absolute, `${c.name} absolute`);
      expectEffect(response.json.comparisons[0].relative, c.relative, `${c.name} relative`);
    }
  });

  it('the Bayesian engine adds chanceToWin and risk and leaves pValue null', async () => {
    const c = fixtures.bayesian[0]!;
    const response = await analyze(bodyFor(c, { engine: 'bayesian', prior: c.prior ?? null }));
    expect(response.status).toBe(200);
    const [comparison] = response.json.comparisons;
    expectEffect(comparison.absolute, c.absolute, 'absolute', false);
    expectEffect(comparison.relative, c.relative, 'relative', false);
    expect(comparison.absolute.pValue).toBeNull();
    expectClose(comparison.chanceToWin, c.chanceToWin!, 'chanceToWin');
    expectClose(comparison.risk[0], c.risk![0], 'risk control');
    expectClose(comparison.risk[1], c.risk![1], 'risk treatment');
  });

  it('bad input is a 400 naming the field, from zod or from the engine', async () => {
    const c = welch('normal-0');
    const base = bodyFor(c, {});
    const withVariation = (i: number, patch: Record<string, unknown>) => ({
      ...base,
      variations: base.variations.map((v, j) => (j === i ? { ...v, ...patch } : v)),
    });
    const cases: [unknown, string][] = [
      [withVariation(1, { n: -3 }), 'body.variations.1.n'],
      [withVariation(1, { n: 2.5 }), 'body.variations.1.n'],
      [withVariation(0, { sum: 'many' }), 'body.variations.0.sum'],
      [{ ...base, metric: { kind: 'median' } }, 'body.metric.kind'],
      [{ ...base, settings: { alpha: 1.5 } }, 'body.settings.alpha'],
      [{ ...base, settings: { engine: 'oracle' } }, 'body.settings.engine'],
      [{ ...base, variations: [base.variations[0]] }, 'body.variations'],
      // Checked by the engine (StatsInputError), reported in the same path style:
      [withVariation(1, { key: 'control' }), 'body.variations.1.key'],
      [{ ...base, settings: { cuped: true } }, 'body.variations.0.pre'],
      [{ ...base, metric: { kind: 'ratio', direction: 'higher' } }, 'body.variations.0.denominator'],
      [
        {
          metric: { kind: 'binomial' },
          variations: [
            { key: 'a', weight: 1, n: 10, sum: 3, sumSquares: 3 },
            { key: 'b', weight: 1, n: 10, sum: 12, sumSquares: 12 },
          ],
        },
        'body.variations.1.sum',
      ],
    ];
    for (const [body, field] of cases) {
      const response = await analyze(body);
      expect(response.status, field).toBe(400);
      expect(response.json.error.message, field).toContain(field);
    }
  });

  it('needs a signed-in user or an admin key, nothing more', async () => {
    const c = welch('normal-0');
    expect((await t.request('POST', '/api/v1/analyze', { body: bodyFor(c, {}) })).status).toBe(401);
    const server = (await t.sdkKey('server')).caller;
    expect((await analyze(bodyFor(c, {}), server)).status).toBe(403);
  });
});
