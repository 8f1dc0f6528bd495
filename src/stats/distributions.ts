import jStat from 'jstat';

/**
 * Thin wrappers over jstat's distributions. They exist so that every module agrees on the edge
 * cases (infinite degrees of freedom, probabilities at 0 or 1) and on the accuracy fixes below.
 */

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  return jStat.normal.cdf(x, 0, 1);
}

/** Standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Standard normal quantile. */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  return jStat.normal.inv(p, 0, 1);
}

/**
 * Above this many degrees of freedom jstat's t functions lose accuracy (its CDF is off by 1e-7
 * relative at 1e8 df and by 0.3 % at 1e12), while the first terms of the large-df expansions
 * around the normal are accurate to O(1/df²) ≈ 1e-10. Welch df reach millions with big experiments.
 */
const LARGE_DF = 1e5;

/** Student t CDF; `df = Infinity` is the normal limit. */
export function tCdf(x: number, df: number): number {
  if (!Number.isFinite(df)) return normalCdf(x);
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  if (df > LARGE_DF) return normalCdf(x) - (normalPdf(x) * (x * x * x + x)) / (4 * df);
  return jStat.studentt.cdf(x, df);
}

/**
 * Student t quantile. jstat's inverse (an incomplete-beta inversion) is only good to about 1e-8
 * relative, which shows in the 7th digit of confidence limits; two Newton steps on its (accurate)
 * CDF bring it to the CDF's own precision.
 */
export function tQuantile(p: number, df: number): number {
  if (!Number.isFinite(df)) return normalQuantile(p);
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (df > LARGE_DF) {
    // Cornish–Fisher expansion of the t quantile in powers of 1/df.
    const z = normalQuantile(p);
    const z3 = z * z * z;
    return z + (z3 + z) / (4 * df) + (5 * z3 * z * z + 16 * z3 + 3 * z) / (96 * df * df);
  }
  let x = jStat.studentt.inv(p, df);
  for (let i = 0; i < 2; i++) {
    const density = jStat.studentt.pdf(x, df);
    if (!(density > 0)) break;
    x -= (jStat.studentt.cdf(x, df) - p) / density;
  }
  return x;
}

/** Upper tail of the χ² distribution, clamped because jstat computes it as 1 − CDF. */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  // jstat's CDF is NaN there; an infinite statistic (units where ~0 were expected) is certain evidence.
  if (x === Infinity) return 0;
  return Math.min(1, Math.max(0, 1 - jStat.chisquare.cdf(x, df)));
}

/** ln Γ(x). */
export function logGamma(x: number): number {
  return jStat.gammaln(x);
}

/**
 * Finds a root of a monotone function on [lo, hi] by bisection. Slow but unconditionally robust,
 * which matters more here than speed: it runs a handful of times per analysis.
 */
export function bisect(f: (x: number) => number, lo: number, hi: number, tolerance = 1e-12): number {
  let fLo = f(lo);
  for (let i = 0; i < 200 && hi - lo > tolerance * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2;
    const fMid = f(mid);
    if (fMid === 0) return mid;
    if (fLo < 0 === fMid < 0) {
      lo = mid;
      fLo = fMid;
    } else {
      hi = mid;
    }
  }
  return (lo + hi) / 2;
}
