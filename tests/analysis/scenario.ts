// One generated experiment with a known effect on every metric kind, used by several tests.
import { DAY, HOUR, exposure, makeSpec, metric, rng, track, type Event } from './helpers.ts';

export const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', 'CA', 'ES', 'IT', 'NL', 'SE', 'PL', 'MX'];

export interface ScenarioOptions {
  key: string;
  units: number;
  /** Share of units in control (0.5 = as configured). */
  controlShare?: number;
  /** Units exposed to both variations. */
  doubleExposed?: number;
  seed?: number;
}

/**
 * Units first exposed over 15 days starting 20 days ago. Each unit has a latent propensity that
 * drives both its pre-period purchases (CUPED covariate) and its purchases after exposure;
 * treatment converts 7 points more often and spends more. Also: page views (count, ratio
 * denominator), a `visit` 2 days after exposure (retention), purchases before exposure and long
 * after it (outside a 72 h window), and a few huge purchases (capping).
 */
export function scenario(options: ScenarioOptions) {
  const now = Date.now();
  const start = now - 20 * DAY;
  const random = rng(options.seed ?? 1);
  const events: Event[] = [];
  const controlShare = options.controlShare ?? 0.5;
  for (let i = 0; i < options.units; i++) {
    const unit = `${options.key}-u${i}`;
    const treated = random() >= controlShare;
    const variation = treated ? 'treatment' : 'control';
    const first = start + Math.floor(random() * 15 * DAY);
    const country = COUNTRIES[Math.min(COUNTRIES.length - 1, Math.floor(-Math.log(1 - random()) * 4))]!;
    events.push(
      exposure(unit, options.key, variation, first, { country, plan: random() < 0.3 ? 'pro' : 'free' }),
    );
    if (random() < 0.5) events.push(exposure(unit, options.key, variation, first + HOUR));
    const latent = random();
    // pre-period: 0-3 purchases, more for high-propensity units
    const prePurchases = Math.floor(latent * 4);
    for (let k = 0; k < prePurchases; k++)
      events.push(track(unit, 'purchase', first - Math.floor(random() * 9 * DAY) - 1, 10 + 40 * latent));
    const p = (treated ? 0.12 : 0.05) + 0.6 * latent;
    if (random() < p) {
      const value = 10 + 40 * latent + (treated ? 8 : 0) + 5 * random();
      events.push(
        track(unit, 'purchase', first + Math.floor(random() * 48 * HOUR), random() < 0.01 ? 5000 : value),
      );
    }
    if (random() < 0.2)
      events.push(track(unit, 'purchase', first + 4 * DAY + Math.floor(random() * DAY), 30));
    const views = 1 + Math.floor(random() * 5);
    for (let k = 0; k < views; k++)
      events.push(track(unit, 'pageview', first + Math.floor(random() * 3 * DAY)));
    if (random() < (treated ? 0.4 : 0.3))
      events.push(track(unit, 'visit', first + 2 * DAY + Math.floor(random() * DAY)));
  }
  for (let i = 0; i < (options.doubleExposed ?? 0); i++) {
    const unit = `${options.key}-double${i}`;
    const first = start + Math.floor(random() * 10 * DAY);
    events.push(
      exposure(unit, options.key, 'control', first),
      exposure(unit, options.key, 'treatment', first + DAY),
    );
    events.push(track(unit, 'purchase', first + HOUR, 100));
  }
  return { now, start, events };
}

export const scenarioMetrics = () => [
  metric('purchase'),
  metric('revenue', {
    kind: 'mean',
    eventName: 'purchase',
    windowHours: 72,
    capping: { type: 'value', value: 200 },
  }),
  metric('pageviews', { role: 'secondary', kind: 'count', eventName: 'pageview' }),
  metric('revenue-per-view', {
    role: 'secondary',
    kind: 'ratio',
    eventName: 'purchase',
    denominatorEventName: 'pageview',
  }),
  metric('day2-visit', {
    role: 'guardrail',
    kind: 'retention',
    eventName: 'visit',
    retention: { fromDays: 1, toDays: 3 },
  }),
  metric('revenue-p99', {
    role: 'secondary',
    kind: 'mean',
    eventName: 'purchase',
    capping: { type: 'percentile', percentile: 99 },
  }),
];

export const scenarioSpec = (key: string, environmentId: string, start: number, cuped = false) =>
  makeSpec(key, environmentId, new Date(start), scenarioMetrics(), { settings: { cuped } });
