import type { AnalyzeRequest, CrossMoments } from './types.js';

/**
 * Thrown for input that is malformed rather than merely uninformative; `field` is a path into the
 * request (`variations[1].sum`, `settings.alpha`) so the route can answer 400 naming it.
 *
 * Input that is well-formed but too thin to estimate from — an arm with n < 2, zero variance in
 * both arms, a control mean of 0 for the relative effect — is *not* an error: `analyze` returns
 * `null` for the quantities it cannot support.
 */
export class StatsInputError extends Error {
  readonly code = 'invalid_stats_input';
  constructor(
    readonly field: string,
    /** What is wrong with the field, without the field name. */
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'StatsInputError';
  }
}

function requireFinite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StatsInputError(field, 'must be a finite number');
  }
  return value;
}

function requireMoments(moments: CrossMoments | undefined, field: string): void {
  if (!moments || typeof moments !== 'object') throw new StatsInputError(field, 'is required');
  requireFinite(moments.sum, `${field}.sum`);
  if (requireFinite(moments.sumSquares, `${field}.sumSquares`) < 0) {
    throw new StatsInputError(`${field}.sumSquares`, 'must not be negative');
  }
  requireFinite(moments.sumProduct, `${field}.sumProduct`);
}

function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): void {
  if (value !== undefined && !allowed.includes(value as T)) {
    throw new StatsInputError(field, `must be one of ${allowed.join(', ')}`);
  }
}

/** Checks everything the engine relies on; throws `StatsInputError` on the first problem. */
export function validateRequest(request: AnalyzeRequest): void {
  const { metric, variations, settings = {} } = request;
  if (!metric) throw new StatsInputError('metric', 'is required');
  if (metric.kind === undefined) throw new StatsInputError('metric.kind', 'is required');
  requireOneOf(metric.kind, ['mean', 'binomial', 'ratio'], 'metric.kind');
  requireOneOf(metric.direction, ['higher', 'lower'], 'metric.direction');

  const { alpha, sequentialTuning, prior } = settings;
  if (alpha !== undefined && !(requireFinite(alpha, 'settings.alpha') > 0 && alpha < 1)) {
    throw new StatsInputError('settings.alpha', 'must be strictly between 0 and 1');
  }
  requireOneOf(settings.sided, ['two', 'greater', 'less'], 'settings.sided');
  requireOneOf(settings.engine, ['frequentist', 'bayesian'], 'settings.engine');
  requireOneOf(settings.correction, ['holm', 'benjamini-hochberg', 'none'], 'settings.correction');
  if (sequentialTuning !== undefined && !(requireFinite(sequentialTuning, 'settings.sequentialTuning') > 0)) {
    throw new StatsInputError('settings.sequentialTuning', 'must be positive');
  }
  if (prior) {
    requireFinite(prior.mean, 'settings.prior.mean');
    if (!(requireFinite(prior.variance, 'settings.prior.variance') > 0)) {
      throw new StatsInputError('settings.prior.variance', 'must be positive');
    }
  }
  if (settings.cuped && metric.kind === 'ratio') {
    throw new StatsInputError('settings.cuped', 'CUPED is not supported for ratio metrics');
  }

  if (!Array.isArray(variations) || variations.length < 2) {
    throw new StatsInputError('variations', 'needs a control and at least one treatment');
  }
  const keys = new Set<string>();
  variations.forEach((v, i) => {
    const at = `variations[${i}]`;
    if (typeof v.key !== 'string' || v.key === '') throw new StatsInputError(`${at}.key`, 'is required');
    if (keys.has(v.key)) throw new StatsInputError(`${at}.key`, `duplicates "${v.key}"`);
    keys.add(v.key);
    if (!(requireFinite(v.weight, `${at}.weight`) > 0)) {
      throw new StatsInputError(`${at}.weight`, 'must be positive');
    }
    const n = requireFinite(v.n, `${at}.n`);
    if (n < 0 || !Number.isInteger(n)) throw new StatsInputError(`${at}.n`, 'must be a non-negative integer');
    const sum = requireFinite(v.sum, `${at}.sum`);
    if (requireFinite(v.sumSquares, `${at}.sumSquares`) < 0) {
      throw new StatsInputError(`${at}.sumSquares`, 'must not be negative');
    }
    if (metric.kind === 'binomial' && !(sum >= 0 && sum <= n)) {
      throw new StatsInputError(`${at}.sum`, 'must be between 0 and n for a binomial metric');
    }
    if (metric.kind === 'ratio') requireMoments(v.denominator, `${at}.denominator`);
    if (settings.cuped) requireMoments(v.pre, `${at}.pre`);
  });
}
