// The experiment's call, from its goal metrics' verdicts, its guardrails and its health checks:
// ship, roll back, keep running, unhealthy or no data, with the reason in words. The rule and why:
// docs/decisions/0010-experiment-decision.md.
import type { Health } from './health-checks.ts';
import type { MetricResult } from './experiment-results.ts';
import type { PowerEstimate } from './power-estimates.ts';

export interface Decision {
  status: 'ship' | 'rollback' | 'keep-running' | 'unhealthy' | 'no-data';
  reason: string;
  /** The variation to ship, or the one that regressed; null when the call is about the experiment. */
  variation: string | null;
}

export interface DecisionInput {
  metrics: MetricResult[];
  health: Health;
  analysedUnits: number;
  power: PowerEstimate[];
}

interface Standing {
  variation: string;
  wins: string[];
  losses: string[];
  harmed: string[];
  /** The first goal metric's headline estimate, signed so that larger is better. */
  lead: number;
}

const named = (metrics: MetricResult[], variation: string, verdict: string) =>
  metrics
    .filter((m) => m.comparisons.some((c) => c.variation === variation && c.verdict === verdict))
    .map((m) => m.name);

const list = (names: string[]) =>
  names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

function standings(metrics: MetricResult[]): Standing[] {
  const goals = metrics.filter((m) => m.role === 'goal');
  const guardrails = metrics.filter((m) => m.role === 'guardrail');
  const variations = metrics[0]?.comparisons.map((c) => c.variation) ?? [];
  return variations.map((variation) => {
    const first = goals[0]?.comparisons.find((c) => c.variation === variation);
    const sign = goals[0]?.direction === 'lower' ? -1 : 1;
    return {
      variation,
      wins: named(goals, variation, 'winning'),
      losses: named(goals, variation, 'losing'),
      harmed: named(guardrails, variation, 'losing'),
      lead: sign * (first?.headline.estimate ?? 0),
    };
  });
}

/** How long until the undecided goal comparisons have their planned power, in words. */
function waitText(power: PowerEstimate[]): string {
  const days = power.map((p) => p.daysLeft).filter((d): d is number => d !== null);
  if (days.length === 0) return '';
  const most = Math.max(...days);
  return most === 0
    ? ' The planned sample size is reached: an effect as large as planned would likely show by now.'
    : ` About ${most} more day${most === 1 ? '' : 's'} to reach the planned power.`;
}

export function experimentDecision({ metrics, health, analysedUnits, power }: DecisionInput): Decision {
  if (analysedUnits === 0)
    return {
      status: 'no-data',
      reason: 'No units have been exposed to the experiment yet.',
      variation: null,
    };
  const broken = health.checks.find((c) => c.status === 'unhealthy');
  if (broken) return { status: 'unhealthy', reason: broken.message, variation: null };
  const goals = metrics.filter((m) => m.role === 'goal');
  if (goals.length === 0)
    return {
      status: 'keep-running',
      reason: 'The experiment has no goal metric: add one to get a decision.',
      variation: null,
    };
  if (goals.every((m) => m.comparisons.every((c) => c.headline.estimate === null)))
    return {
      status: 'no-data',
      reason: `Not enough data yet to compare the variations on ${list(goals.map((m) => m.name))}.`,
      variation: null,
    };

  const all = standings(metrics);
  const shippable = all
    .filter((s) => s.wins.length > 0 && s.losses.length === 0 && s.harmed.length === 0)
    .sort((a, b) => b.wins.length - a.wins.length || b.lead - a.lead);
  if (shippable[0]) {
    const best = shippable[0];
    return {
      status: 'ship',
      reason: `${best.variation} won on ${list(best.wins)} and no guardrail regressed.`,
      variation: best.variation,
    };
  }
  const failing = all.filter((s) => s.harmed.length > 0 || (s.losses.length > 0 && s.wins.length === 0));
  const why = (s: Standing) =>
    s.harmed.length > 0
      ? `${s.variation} regressed the guardrail ${list(s.harmed)}`
      : `${s.variation} lost on ${list(s.losses)}`;
  if (failing.length === all.length)
    return {
      status: 'rollback',
      reason: `${failing.map(why).join('; ')}.`,
      variation: failing[0]!.variation,
    };
  const mixed = all.find((s) => s.wins.length > 0 && s.losses.length > 0);
  const notes = [
    ...failing.map(why),
    ...(mixed ? [`${mixed.variation} won on ${list(mixed.wins)} but lost on ${list(mixed.losses)}`] : []),
  ];
  return {
    status: 'keep-running',
    reason:
      (notes.length ? `${notes.join('; ')}.` : 'No goal metric is decisive yet.') +
      waitText(power.filter((p) => p.daysLeft !== null)),
    variation: null,
  };
}
