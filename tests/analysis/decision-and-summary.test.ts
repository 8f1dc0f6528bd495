// What a PM reads: the summary sentence of a comparison and the experiment's decision, from results
// built by hand so that each rule is seen on its own.
import { describe, expect, it } from 'vitest';
import { experimentDecision } from '../../src/analysis/experiment-decision.ts';
import type { MetricResult, ResultComparison } from '../../src/analysis/experiment-results.ts';
import type { Health } from '../../src/analysis/health-checks.ts';
import type { PowerEstimate } from '../../src/analysis/power-estimates.ts';
import { summarySentence, type SentenceInput } from '../../src/analysis/summary-sentence.ts';
import type { Headline } from '../../src/stats/index.ts';

const head = (over: Partial<Headline> = {}): Headline => ({
  effect: 'relative',
  estimate: 0.39,
  ci: [0.12, 0.66],
  pValue: 0.003,
  verdict: 'winning',
  interval: 'always-valid',
  ...over,
});

const sentence = (over: Partial<SentenceInput> = {}, headline: Partial<Headline> = {}) =>
  summarySentence({
    variation: 'treatment',
    metricName: 'checkout completed',
    kind: 'binomial',
    direction: 'higher',
    alpha: 0.05,
    headline: head(headline),
    ...over,
  });

describe('summary sentence', () => {
  it('says what changed, by how much, how sure, and the call', () => {
    expect(sentence()).toBe(
      'Treatment raised *checkout completed* by 39% (95% CI +12% to +66%), always-valid interval: improved, winning.',
    );
  });

  it('is worded for the direction: a lower-is-better metric that went down improved', () => {
    expect(
      sentence(
        { metricName: 'page load time', kind: 'mean', direction: 'lower' },
        { estimate: -0.081, ci: [-0.12, -0.04], interval: 'fixed-horizon' },
      ),
    ).toBe(
      'Treatment lowered *page load time* by 8.1% (95% CI \u221212% to \u22124%), fixed-horizon interval: improved, winning.',
    );
    expect(sentence({ direction: 'lower' }, { estimate: 0.05, ci: [0.01, 0.09], verdict: 'losing' })).toMatch(
      /raised .* by 5%.*: worsened, losing\.$/,
    );
  });

  it('reads absolute effects in the unit of the metric: pp for conversions, NPS points, plain numbers', () => {
    const absolute = { effect: 'absolute' as const, estimate: 0.034, ci: [0.012, 0.056] as Headline['ci'] };
    expect(sentence({}, absolute)).toMatch(/by 3\.4pp \(95% CI \+1\.2pp to \+5\.6pp\)/);
    expect(sentence({ kind: 'nps' }, { ...absolute, estimate: 6.2, ci: [1.5, 11] })).toMatch(
      /by 6\.2 NPS points \(95% CI \+1\.5 NPS points to \+11 NPS points\)/,
    );
    expect(sentence({ kind: 'mean' }, { ...absolute, estimate: 1234.5, ci: [200, 2269] })).toMatch(
      /by 1,235 \(95% CI \+200 to \+2,269\)/,
    );
  });

  it('handles one-sided intervals, the Bayesian engine, no change and no data', () => {
    expect(sentence({}, { ci: [0.12, null] })).toMatch(/\(95% CI at least \+12%\)/);
    expect(sentence({ alpha: 0.1 }, { ci: [null, 0.5] })).toMatch(/\(90% CI at most \+50%\)/);
    expect(
      sentence({}, { interval: 'credible', pValue: undefined, chanceToWin: 0.91, verdict: 'inconclusive' }),
    ).toBe(
      'Treatment raised *checkout completed* by 39% (95% credible interval +12% to +66%), chance to win 91%: inconclusive.',
    );
    expect(sentence({}, { estimate: 0, ci: [-0.01, 0.01], verdict: 'inconclusive' })).toBe(
      'Treatment did not change *checkout completed* (95% CI \u22121% to +1%), always-valid interval: inconclusive, it still includes no change.',
    );
    expect(sentence({}, { estimate: null, ci: [null, null] })).toBe(
      '*checkout completed*: not enough data yet to compare treatment with the control.',
    );
  });

  it('names a breakdown segment first', () => {
    expect(sentence({ segment: 'country = US' })).toBe(
      'Among country = US, treatment raised *checkout completed* by 39% (95% CI +12% to +66%), always-valid interval: improved, winning.',
    );
  });
});

const comparison = (variation: string, verdict: Headline['verdict'], estimate = 0.1): ResultComparison => {
  const headline = head({ verdict, estimate });
  const effect = { estimate, se: 0.01, ci: headline.ci, pValue: 0.01 };
  return { variation, absolute: effect, relative: effect, headline, summary: '', significant: true, verdict };
};

const metric = (
  key: string,
  role: MetricResult['role'],
  verdicts: Headline['verdict'][],
  direction: 'higher' | 'lower' = 'higher',
): MetricResult => ({
  key,
  name: key,
  role,
  kind: 'binomial',
  direction,
  headlineEffect: 'relative',
  correction: 'none',
  cap: null,
  variations: [],
  comparisons: verdicts.map((v, i) => comparison(['b', 'c'][i]!, v, 0.1 * (i + 1))),
});

const healthy: Health = { healthy: true, checks: [] };
const decide = (
  metrics: MetricResult[],
  over: { health?: Health; units?: number; power?: PowerEstimate[] } = {},
) =>
  experimentDecision({
    metrics,
    health: over.health ?? healthy,
    analysedUnits: over.units ?? 1000,
    power: over.power ?? [],
  });

describe('experiment decision', () => {
  it('no units: no-data; an unhealthy check: unhealthy, with its message', () => {
    expect(decide([metric('buy', 'goal', ['winning'])], { units: 0 }).status).toBe('no-data');
    const srm = {
      check: 'srm' as const,
      status: 'unhealthy' as const,
      message: 'Sample ratio mismatch: …',
      details: {},
    };
    expect(
      decide([metric('buy', 'goal', ['winning'])], { health: { healthy: false, checks: [srm] } }),
    ).toEqual({
      status: 'unhealthy',
      reason: 'Sample ratio mismatch: …',
      variation: null,
    });
  });

  it('ships a treatment that wins a goal with no goal lost and no guardrail harmed', () => {
    expect(
      decide([metric('buy', 'goal', ['winning']), metric('latency', 'guardrail', ['inconclusive'])]),
    ).toEqual({
      status: 'ship',
      reason: 'b won on buy and no guardrail regressed.',
      variation: 'b',
    });
    // Of two winners, the one that wins more goals, then the larger first-goal effect.
    const two = decide([
      metric('buy', 'goal', ['winning', 'winning']),
      metric('signup', 'goal', ['inconclusive', 'inconclusive']),
    ]);
    expect(two.variation).toBe('c');
  });

  it('rolls back when every treatment harms a guardrail or only loses', () => {
    expect(
      decide([metric('buy', 'goal', ['winning']), metric('latency', 'guardrail', ['losing'], 'lower')]),
    ).toEqual({
      status: 'rollback',
      reason: 'b regressed the guardrail latency.',
      variation: 'b',
    });
    expect(decide([metric('buy', 'goal', ['losing'])]).status).toBe('rollback');
  });

  it('keeps running while nothing is decisive, saying how long, or when results are mixed', () => {
    const power = [{ daysLeft: 3 }, { daysLeft: 5 }] as PowerEstimate[];
    expect(decide([metric('buy', 'goal', ['inconclusive'])], { power })).toEqual({
      status: 'keep-running',
      reason: 'No goal metric is decisive yet. About 5 more days to reach the planned power.',
      variation: null,
    });
    const mixed = decide([metric('buy', 'goal', ['winning']), metric('signup', 'goal', ['losing'])]);
    expect(mixed.status).toBe('keep-running');
    expect(mixed.reason).toBe('b won on buy but lost on signup.');
    expect(decide([metric('latency', 'guardrail', ['inconclusive'])]).reason).toMatch(/no goal metric/);
  });
});
