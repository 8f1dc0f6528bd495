/** Deterministic random numbers for the simulation tests: the seed fixes every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box–Muller. */
export function normalSampler(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Running sums of one arm, the form in which the engine receives data. */
export class Accumulator {
  n = 0;
  sum = 0;
  sumSquares = 0;
  preSum = 0;
  preSumSquares = 0;
  sumProduct = 0;

  add(x: number, pre = 0): void {
    this.n += 1;
    this.sum += x;
    this.sumSquares += x * x;
    this.preSum += pre;
    this.preSumSquares += pre * pre;
    this.sumProduct += x * pre;
  }

  variation(key: string) {
    return {
      key,
      weight: 1,
      n: this.n,
      sum: this.sum,
      sumSquares: this.sumSquares,
      pre: { sum: this.preSum, sumSquares: this.preSumSquares, sumProduct: this.sumProduct },
    };
  }
}

/** A rate with a tolerance of `sds` binomial standard deviations around `p` for `trials` trials. */
export function binomialBand(p: number, trials: number, sds = 4): [number, number] {
  const sd = Math.sqrt((p * (1 - p)) / trials);
  return [p - sds * sd, p + sds * sd];
}
