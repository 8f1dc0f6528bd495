// What an experiment writes into its flag's environment config (decision 0006), each inside the
// caller's open transaction through FlagService.applyConfigChange: the experiment rule when it
// starts, again for a new phase, its removal when it stops, and the ship rule. Each returns the
// publish to call after the commit.
import type { Actor } from '../audit/actor.ts';
import type { EnvironmentStore } from '../environments/environment-store.ts';
import { notFound } from '../errors.ts';
import type { FlagService } from '../flags/flag-service.ts';
import type { Rule } from '../flags/flag-schemas.ts';
import { experimentRule, experimentRuleId, shipRuleId } from './experiment-rules.ts';
import type { ExperimentRow } from './experiment-store.ts';

type Config = { enabled: boolean; rules: Rule[] };

export class ExperimentFlagWriter {
  constructor(
    private readonly deps: { flagService: FlagService; environments: EnvironmentStore },
    private readonly actor: Actor,
    private readonly requestId: string | undefined,
  ) {}

  /**
   * Appends the experiment rule for phase 1 (replacing a stale one) and switches the flag on;
   * resolves whether it was off, so that stopping can switch it off again.
   */
  async start(row: ExperimentRow): Promise<{ publish: () => void; flagEnabled: boolean }> {
    let flagEnabled = false;
    const publish = await this.write(row, (config) => {
      flagEnabled = !config.enabled;
      return {
        enabled: true,
        rules: [...config.rules.filter((r) => r.id !== experimentRuleId(row.key)), experimentRule(row, 1)],
      };
    });
    return { publish, flagEnabled };
  }

  /** The experiment rule for a new phase (new weights or coverage), where the old one was. */
  newPhase(row: ExperimentRow, phase: number): Promise<() => void> {
    const id = experimentRuleId(row.key);
    return this.write(row, (config) => ({
      enabled: config.enabled,
      rules: config.rules.some((r) => r.id === id)
        ? config.rules.map((r) => (r.id === id ? experimentRule(row, phase) : r))
        : [...config.rules, experimentRule(row, phase)],
    }));
  }

  /** Removes the experiment rule; switches the flag off again if starting switched it on. */
  remove(row: ExperimentRow): Promise<() => void> {
    return this.write(row, (config) => ({
      enabled: config.enabled && !row.enabledFlag,
      rules: config.rules.filter((r) => r.id !== experimentRuleId(row.key)),
    }));
  }

  /** The shipped value as a `force` rule at the top, instead of the experiment rule. */
  ship(row: ExperimentRow, value: unknown): Promise<() => void> {
    const shipRule: Rule = { id: shipRuleId(row.key), type: 'force', enabled: true, value };
    return this.write(row, (config) => ({
      enabled: true,
      rules: [
        shipRule,
        ...config.rules.filter((r) => r.id !== experimentRuleId(row.key) && r.id !== shipRuleId(row.key)),
      ],
    }));
  }

  private async write(row: ExperimentRow, next: (config: Config) => Config): Promise<() => void> {
    const env = await this.deps.environments.byId(row.environmentId);
    if (!env) throw notFound('environment', row.environmentId);
    const { publish } = await this.deps.flagService.applyConfigChange(
      row.flagKey,
      env.key,
      this.actor,
      this.requestId,
      next,
    );
    return publish;
  }
}
