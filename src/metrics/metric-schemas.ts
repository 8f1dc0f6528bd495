import { z } from '@hono/zod-openapi';
import { Name, Slug, Timestamp } from '../http/schemas.ts';

export const MetricKind = z
  .enum(['binomial', 'mean', 'count', 'ratio', 'retention', 'nps', 'repeat'])
  .openapi({
    description:
      '`binomial`: the unit fired the event at least once in the window; `mean`: per-unit sum of `value`; ' +
      '`count`: per-unit number of events; `ratio`: per-unit sums of `eventName` over `denominatorEventName` ' +
      '(delta method); `retention`: the unit fired the event between day `fromDays` and `toDays` after first exposure; ' +
      "`nps`: the unit's latest 0–10 score (`value`) in the window as +100 (9–10), 0 (7–8) or −100 (0–6), over the " +
      'units that answered: arm means are NPS scores, differences NPS points; ' +
      '`repeat`: the unit fired the event at least `repeat.atLeast` times in the window (repurchase)',
  });
export const MetricDirection = z.enum(['higher', 'lower']).openapi({ description: 'Which way is better' });

const EventName = z.string().min(1).max(256);

export const MetricCapping = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('value'),
      value: z.number().positive().openapi({ description: 'Per-unit values above this are capped to it' }),
    }),
    z.strictObject({
      type: z.literal('percentile'),
      percentile: z
        .number()
        .gt(0)
        .lt(1)
        .openapi({ description: 'Cap at this quantile of the pooled per-unit values, e.g. 0.99' }),
    }),
  ])
  .openapi('MetricCapping', { description: 'Winsorization of per-unit values' });

export const MetricRetention = z
  .strictObject({
    fromDays: z.number().int().min(0).max(365),
    toDays: z.number().int().min(1).max(366),
  })
  .openapi('MetricRetention');

export const MetricRepeat = z
  .strictObject({
    atLeast: z
      .number()
      .int()
      .min(2)
      .max(1000)
      .openapi({ description: 'Events in the window that make a unit count (2 = a repeat purchase)' }),
  })
  .openapi('MetricRepeat');

export const HeadlineEffect = z.enum(['relative', 'absolute']).openapi({
  description:
    "Which effect a comparison's headline reports: `relative` (a lift, in % of control) or `absolute` " +
    '(a difference in the metric’s unit: NPS points for `nps`)',
});

const definition = {
  name: Name,
  description: z.string().max(2000),
  kind: MetricKind,
  eventName: EventName.openapi({ description: 'The event tracked (the numerator of a ratio)' }),
  denominatorEventName: EventName.nullable().openapi({ description: 'Ratio metrics only' }),
  direction: MetricDirection,
  windowHours: z
    .number()
    .positive()
    .max(24 * 366)
    .nullable()
    .openapi({
      description: 'Conversion window after first exposure; null = until the end of the experiment',
    }),
  capping: MetricCapping.nullable(),
  retention: MetricRetention.nullable().openapi({ description: 'Retention metrics only' }),
  cupedLookbackDays: z
    .number()
    .int()
    .min(0)
    .max(90)
    .openapi({ description: 'CUPED pre-period (not used by `ratio` and `nps` metrics)' }),
  repeat: MetricRepeat.nullable().openapi({
    description: 'Repeat metrics only; `{ atLeast: 2 }` when a repeat metric is given none',
  }),
  headlineEffect: HeadlineEffect,
};

export const CreateMetric = z
  .strictObject({
    key: Slug,
    name: definition.name,
    description: definition.description.default(''),
    kind: definition.kind,
    eventName: definition.eventName,
    denominatorEventName: definition.denominatorEventName.default(null),
    direction: definition.direction.default('higher'),
    windowHours: definition.windowHours.default(72),
    capping: definition.capping.default(null),
    retention: definition.retention.default(null),
    cupedLookbackDays: definition.cupedLookbackDays.default(14),
    repeat: definition.repeat.default(null),
    headlineEffect: definition.headlineEffect
      .optional()
      .openapi({ description: '`absolute` for `nps` metrics when not given, else `relative`' }),
  })
  .openapi('CreateMetric');

export const UpdateMetric = z
  .strictObject({
    name: definition.name.optional(),
    description: definition.description.optional(),
    kind: definition.kind.optional(),
    eventName: definition.eventName.optional(),
    denominatorEventName: definition.denominatorEventName.optional(),
    direction: definition.direction.optional(),
    windowHours: definition.windowHours.optional(),
    capping: definition.capping.optional(),
    retention: definition.retention.optional(),
    cupedLookbackDays: definition.cupedLookbackDays.optional(),
    repeat: definition.repeat.optional(),
    headlineEffect: definition.headlineEffect.optional().openapi({
      description:
        "A change of kind without it moves the kind's default to the new kind's (`absolute` for `nps`)",
    }),
  })
  .openapi('UpdateMetric');

export const Metric = z
  .object({
    id: z.string(),
    key: Slug,
    ...definition,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Metric');

export const MetricKeyParam = z.object({ key: Slug.openapi({ param: { name: 'key', in: 'path' } }) });
