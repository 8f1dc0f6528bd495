// Refreshes the results of every running experiment every ANALYSIS_REFRESH_MINUTES (0 = never),
// so that the dashboard's GET reads a recent snapshot. Each refresh is incremental (only what
// arrived since the previous one is read: analysis-state.ts), so a short period stays cheap. One
// experiment at a time; a failure is logged and the others go on. The timer is unref'd and stopped
// when the service stops.
import type { Logger } from '../logger.ts';
import type { AnalysisService } from './analysis-service.ts';

export interface AnalysisSchedulerDeps {
  analysis: Pick<AnalysisService, 'refresh'>;
  /** Keys of the experiments to refresh (the running ones). */
  runningExperiments: () => Promise<string[]>;
  intervalMinutes: number;
  logger: Logger;
}

export class AnalysisScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: AnalysisSchedulerDeps) {}

  /** Starts the periodic refresh (idempotent; does nothing when the interval is 0). */
  start(): void {
    if (this.timer || this.stopped || !(this.deps.intervalMinutes > 0)) return;
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMinutes * 60_000);
    this.timer.unref();
  }

  /** One round over the running experiments; a round still in progress is not doubled. */
  tick(): Promise<void> {
    this.running ??= this.refreshAll().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Stops the timer and the round in progress after its current experiment. Does not wait for that
   * computation (seconds on a large experiment): shutdown must not; its snapshot is simply lost.
   */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async refreshAll(): Promise<void> {
    let keys: string[];
    try {
      keys = await this.deps.runningExperiments();
    } catch (error) {
      this.deps.logger.error({ err: error }, 'analysis: could not list running experiments');
      return;
    }
    for (const key of keys) {
      if (this.stopped) return;
      try {
        const t0 = performance.now();
        await this.deps.analysis.refresh(key);
        this.deps.logger.debug(
          { experiment: key, ms: Math.round(performance.now() - t0) },
          'analysis refreshed',
        );
      } catch (error) {
        this.deps.logger.error({ err: error, experiment: key }, 'analysis: refresh failed');
      }
      // Let requests in between two experiments.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
