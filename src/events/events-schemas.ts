// The shapes of `POST /sdk/v1/events`: the source of truth for the OpenAPI document and for what an
// event may contain. The hot path checks events with the hand-written `parseEvents` (a zod parse of
// every event costs more than the database insert); tests/events/validator-agreement.test.ts keeps
// the two in agreement, and every rejection message comes from these schemas.
import { z } from '@hono/zod-openapi';

const Name = (what: string) => z.string().min(1).max(256).openapi({ description: what });

/** Epoch milliseconds, or an ISO-8601 date-time with an offset (`Z` or `+02:00`). */
export const EventTime = z
  .union([z.number().int().nonnegative().max(8.64e15), z.iso.datetime({ offset: true })])
  .openapi({
    description:
      'When the event happened: epoch milliseconds or an ISO-8601 date-time. Events far in the future or the past are rejected.',
    example: 1767225600000,
  });

const EventId = z.string().min(1).max(128).openapi({
  description:
    'Client-generated (a UUID). Resending an event with the same id and ts stores it once and counts it as a duplicate.',
  example: '3b241101-e2bb-4255-8caf-4136c566a962',
});

const JsonObject = z.record(z.string(), z.unknown());
// Checked by parseEvents with the configured limits (an event beyond them is rejected on its own).
const limitsNote =
  'At most MAX_JSON_DEPTH (default 32) levels of objects and arrays and EVENTS_MAX_PROPERTIES_BYTES (default 32 KiB) as JSON.';

export const ExposureEvent = z
  .strictObject({
    type: z.literal('exposure'),
    id: EventId,
    ts: EventTime,
    unit: Name('The unit (user, device, company …) the experiment assigned'),
    experiment: Name('Experiment (or ramp) key'),
    variation: Name('The variation the unit got'),
    flag: Name('The flag evaluated').optional(),
    attributes: JsonObject.optional().openapi({
      description: `Attributes used for the evaluation. ${limitsNote}`,
    }),
  })
  .openapi('ExposureEvent');

export const TrackEvent = z
  .strictObject({
    type: z.literal('track'),
    id: EventId,
    ts: EventTime,
    unit: Name('The unit the outcome belongs to'),
    event: Name('Event name, e.g. `purchase`'),
    value: z
      .number()
      .refine(Number.isFinite, 'must be a finite number')
      .optional()
      .openapi({ description: 'A numeric value (revenue, duration …)' }),
    properties: JsonObject.optional().openapi({ description: limitsNote }),
  })
  .openapi('TrackEvent');

export const SdkEvent = z.discriminatedUnion('type', [ExposureEvent, TrackEvent]);

export const EventBatch = z
  .strictObject({
    events: z.array(SdkEvent).min(1).openapi({
      description:
        'Up to EVENTS_MAX_BATCH events. Each event is checked on its own: the valid ones are kept even when others are rejected.',
    }),
  })
  .openapi('EventBatch');

export const EventRejection = z.object({
  index: z.number().int().openapi({ description: 'Position of the event in `events`' }),
  code: z.enum(['validation_failed', 'timestamp_out_of_range']),
  message: z
    .string()
    .openapi({ example: 'events.3.unit: Too small: expected string to have >=1 characters' }),
});

export const EventsAccepted = z
  .object({
    accepted: z.number().int().openapi({ description: 'Events stored (new ones)' }),
    duplicates: z.number().int().openapi({ description: 'Events already stored before (same id and ts)' }),
    rejected: z.array(EventRejection),
  })
  .openapi('EventsAccepted');

export type EventRejection = z.infer<typeof EventRejection>;
export type EventsAccepted = z.infer<typeof EventsAccepted>;
