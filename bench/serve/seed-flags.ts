// 200 flags shaped like a real product's: kill switches, targeted values, percentage rollouts and
// experiments, with conditions on country, plan, app version and email domain.
import { systemActor } from '../../src/audit/actor.ts';
import { PutFlagConfig } from '../../src/flags/flag-schemas.ts';
import type { Services } from '../../src/services.ts';

export async function seedFlags(services: Services, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const key = `flag-${String(i).padStart(3, '0')}`;
    const kind = i % 4;
    await services.flags.create(
      { key, description: `Feature ${i}`, valueType: 'string', defaultValue: 'off', tags: [`team-${i % 7}`] },
      systemActor,
    );
    const rules: Record<string, unknown>[] = [
      { type: 'force', value: 'staff', condition: { email: { $regex: '@flagstaff\\.dev$' } } },
    ];
    if (kind >= 1)
      rules.push({
        type: 'force',
        value: 'pro',
        condition: { plan: { $in: ['pro', 'enterprise'] }, country: { $nin: ['CN', 'RU'] } },
      });
    if (kind >= 2)
      rules.push({
        type: 'rollout',
        value: 'on',
        coverage: 0.25,
        condition: { appVersion: { $vgte: '2.3.0' } },
      });
    if (kind === 3) {
      rules.push({
        type: 'experiment',
        experiment: `exp-${i}`,
        variations: [
          { key: 'control', value: 'off', weight: 0.5 },
          { key: 'treatment', value: 'on', weight: 0.5 },
        ],
        condition: { country: { $in: ['US', 'CA', 'GB', 'NL', 'DE'] } },
      });
    }
    const config = PutFlagConfig.parse({ enabled: i % 10 !== 9, rules, version: 0 });
    await services.flags.putConfig(key, 'production', config, undefined, systemActor);
  }
}
