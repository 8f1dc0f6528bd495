// jstat ships no type declarations and @types/jstat does not exist; this declares only the corner of
// the library the statistics engine uses, so any new use has to be declared (and thought about) here.
declare module 'jstat' {
  interface ContinuousDistribution {
    cdf(x: number, ...params: number[]): number;
    pdf(x: number, ...params: number[]): number;
    inv(p: number, ...params: number[]): number;
  }

  interface JStat {
    normal: ContinuousDistribution;
    studentt: ContinuousDistribution;
    chisquare: ContinuousDistribution;
    /** ln Γ(x), for the Dirichlet–multinomial Bayes factor of the sequential SRM test. */
    gammaln(x: number): number;
  }

  const jStat: JStat;
  export default jStat;
}
