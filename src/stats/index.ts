/**
 * Flagstaff's statistics engine: pure functions over sufficient statistics (counts, sums, sums of
 * squares). No I/O, no database, no HTTP — see docs/decisions/0003-sequential-testing.md.
 */
export { analyze, analyzeDetailed, resolveSettings, intervalMethod } from './analyze.js';
export type { DetailedComparison, IntervalMethod } from './analyze.js';
export { ANALYSIS_DEFAULTS } from './defaults.js';
export { analyzeFamily, analyzeCorrected } from './analyze-family.js';
export type { FamilyOptions } from './analyze-family.js';
export { verdict } from './verdict.js';
export { headline } from './headline.js';
export type { Headline, HeadlineEffect, HeadlineOptions } from './headline.js';
export type { Verdict, VerdictOptions } from './verdict.js';
export { StatsInputError, validateRequest } from './validate-request.js';
export { summarize, sampleVariance, sampleCovariance } from './summary.js';
export { absoluteEffect, relativeEffect, satterthwaiteDf, tTest } from './frequentist.js';
export type { TestOptions, TestResult } from './frequentist.js';
export {
  DEFAULT_SEQUENTIAL_TUNING,
  mixtureRho,
  sequentialMultiplier,
  oneSidedSequentialMultiplier,
  sequentialTest,
} from './sequential.js';
export type { SequentialOptions } from './sequential.js';
export { cupedTheta, cupedAdjust } from './cuped.js';
export type { CupedAdjustment, CupedArmInput } from './cuped.js';
export { gaussianPosterior, chanceToWin, expectedLoss, credibleInterval } from './bayesian.js';
export type { Gaussian } from './bayesian.js';
export { srmTest, sequentialSrmTest, SRM_THRESHOLD, DEFAULT_SRM_CONCENTRATION } from './srm.js';
export type { SrmTest, SequentialSrmTest } from './srm.js';
export { holm, benjaminiHochberg, adjustPValues, adjustedIntervalAlpha } from './corrections.js';
export type { CorrectionMethod } from './corrections.js';
export { power, minimumDetectableEffect, requiredSampleSize, plannedSampleSize } from './power.js';
export type { PlanningInput } from './power.js';
export type * from './types.js';
