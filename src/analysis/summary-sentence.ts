// The sentence a PM pastes into a channel, one per comparison: what the variation did to the metric,
// by how much, how sure, and the call — worded for the metric's direction (a lower-is-better metric
// that went down "improved").
import type { Headline } from '../stats/index.ts';

export interface SentenceInput {
  variation: string;
  metricName: string;
  /** The metric's kind: absolute effects of conversion kinds read in percentage points, nps in NPS points. */
  kind: string;
  direction: 'higher' | 'lower';
  alpha: number;
  headline: Headline;
  /** A breakdown's segment ("country = US"): the sentence then starts with "Among …". */
  segment?: string;
}

const MINUS = '\u2212';
const PROPORTION_KINDS = new Set(['binomial', 'retention', 'repeat']);

/** 2–3 significant digits: 39, 8.1, 0.52; the sign is the caller's. */
function digits(x: number): string {
  const a = Math.abs(x);
  if (a >= 100) return Math.round(a).toLocaleString('en-US');
  if (a >= 10) return a.toFixed(0);
  if (a >= 1) return String(Number(a.toFixed(1)));
  return a === 0 ? '0' : String(Number(a.toPrecision(2)));
}

function magnitude(x: number, effect: Headline['effect'], kind: string): string {
  if (effect === 'relative') return `${digits(100 * x)}%`;
  if (kind === 'nps') return `${digits(x)} NPS points`;
  if (PROPORTION_KINDS.has(kind)) return `${digits(100 * x)}pp`;
  return digits(x);
}

const signed = (x: number, effect: Headline['effect'], kind: string) =>
  `${x < 0 ? MINUS : '+'}${magnitude(x, effect, kind)}`;

function intervalText({ headline, kind, alpha }: SentenceInput): string {
  const [lo, hi] = headline.ci;
  const level = `${Number((100 * (1 - alpha)).toPrecision(3))}%`;
  const name = headline.interval === 'credible' ? `${level} credible interval` : `${level} CI`;
  const at = (x: number) => signed(x, headline.effect, kind);
  if (lo !== null && hi !== null) return `${name} ${at(lo)} to ${at(hi)}`;
  if (lo !== null) return `${name} at least ${at(lo)}`;
  if (hi !== null) return `${name} at most ${at(hi)}`;
  return `no ${name} yet`;
}

function call(input: SentenceInput): string {
  const { headline } = input;
  const how =
    headline.interval === 'credible'
      ? `chance to win ${digits(100 * (headline.chanceToWin ?? 0))}%`
      : `${headline.interval} interval`;
  if (headline.verdict === 'winning') return `${how}: improved, winning`;
  if (headline.verdict === 'losing') return `${how}: worsened, losing`;
  return headline.interval === 'credible'
    ? `${how}: inconclusive`
    : `${how}: inconclusive, it still includes no change`;
}

/**
 * @example
 * summarySentence({ variation: 'treatment', metricName: 'checkout completed', kind: 'binomial',
 *   direction: 'higher', alpha: 0.05, headline });
 * // 'Treatment raised *checkout completed* by 39% (95% CI +12% to +66%), always-valid interval: improved, winning.'
 */
export function summarySentence(input: SentenceInput): string {
  const { headline, kind } = input;
  const among = input.segment === undefined ? '' : `Among ${input.segment}, `;
  const who = among ? input.variation : input.variation.charAt(0).toUpperCase() + input.variation.slice(1);
  const metric = `*${input.metricName}*`;
  if (headline.estimate === null)
    return `${among}${metric}: not enough data yet to compare ${input.variation} with the control.`;
  const change =
    headline.estimate === 0
      ? `${who} did not change ${metric}`
      : `${who} ${headline.estimate > 0 ? 'raised' : 'lowered'} ${metric} by ${magnitude(headline.estimate, headline.effect, kind)}`;
  return `${among}${change} (${intervalText(input)}), ${call(input)}.`;
}
