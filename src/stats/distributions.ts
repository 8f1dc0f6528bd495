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

/** Student t CDF; `df = Infinity` is the normal limit. */
export function tCdf(x: number, df: number): number {
  if (!Number.isFinite(df)) return normalCdf(x);
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  return jStat.studentt.cdf(x, df);
}

/** Student t density. */
export function tPdf(x: number, df: number): number {
  if (!Number.isFinite(df)) return normalPdf(x);
  return jStat.studentt.pdf(x, df);
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
