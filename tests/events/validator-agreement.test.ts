// The hand-written event check (fastCheck) must accept exactly what the zod schemas accept — zod
// documents the API and words every rejection — and produce the same rows. Checked on hand-picked
// edge cases and on thousands of seeded random mutations of valid events.
import { describe, expect, it } from 'vitest';
import { SdkEvent } from '../../src/events/events-schemas.ts';
import { checkEvent, fastCheck } from '../../src/events/parse-events.ts';

const baseExposure = {
  type: 'exposure',
  id: 'e-1',
  ts: 1767225600000,
  unit: 'u-1',
  experiment: 'exp',
  variation: 'control',
};
const baseTrack = { type: 'track', id: 't-1', ts: 1767225600000, unit: 'u-1', event: 'buy' };

const edgeCases: unknown[] = [
  baseExposure,
  baseTrack,
  { ...baseExposure, flag: 'f', attributes: { a: 1, nested: { b: [1, 2] } } },
  { ...baseTrack, value: -3.25, properties: {} },
  { ...baseTrack, value: 0 },
  { ...baseTrack, ts: '2026-01-01T00:00:00Z' },
  { ...baseTrack, ts: '2026-01-01T00:00:00.123+02:00' },
  { ...baseTrack, ts: '2026-01-01T00:00:00' },
  { ...baseTrack, ts: '2026-01-01' },
  { ...baseTrack, ts: 'soon' },
  { ...baseTrack, ts: -1 },
  { ...baseTrack, ts: 1.5 },
  { ...baseTrack, ts: 8.64e15 },
  { ...baseTrack, ts: 8.64e15 + 1 },
  { ...baseTrack, ts: null },
  { ...baseTrack, id: '' },
  { ...baseTrack, id: 'x'.repeat(128) },
  { ...baseTrack, id: 'x'.repeat(129) },
  { ...baseTrack, unit: 'x'.repeat(256) },
  { ...baseTrack, unit: 'x'.repeat(257) },
  { ...baseTrack, unit: 42 },
  { ...baseTrack, value: '1' },
  { ...baseTrack, value: null },
  { ...baseTrack, properties: [] },
  { ...baseTrack, properties: null },
  { ...baseTrack, properties: 'x' },
  { ...baseExposure, attributes: [1] },
  { ...baseExposure, flag: '' },
  { ...baseExposure, flag: null },
  { ...baseExposure, variation: 1 },
  { ...baseExposure, event: 'buy' },
  { ...baseTrack, experiment: 'exp' },
  { ...baseTrack, type: 'exposure' },
  { ...baseTrack, type: 'TRACK' },
  JSON.parse('{"type":"track","id":"t","ts":1,"unit":"u","event":"e","__proto__":{"x":1}}'),
  null,
  [],
  'track',
  7,
];

/** A small seeded PRNG (mulberry32), so that a failure is reproducible. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const oddValues: unknown[] = [
  undefined,
  null,
  '',
  'a',
  'x'.repeat(128),
  'x'.repeat(129),
  'x'.repeat(256),
  'x'.repeat(257),
  0,
  -1,
  1.5,
  1767225600000,
  8.64e15 + 1,
  true,
  [],
  {},
  { a: 1 },
  '2026-01-01T00:00:00Z',
  '2026-13-01T00:00:00Z',
  'exposure',
  'track',
];
const fields = [
  'type',
  'id',
  'ts',
  'unit',
  'experiment',
  'variation',
  'flag',
  'attributes',
  'event',
  'value',
  'properties',
  'other',
];

function mutate(random: () => number): Record<string, unknown> {
  const event: Record<string, unknown> = { ...(random() < 0.5 ? baseExposure : baseTrack) };
  const changes = 1 + Math.floor(random() * 3);
  for (let i = 0; i < changes; i++) {
    const field = fields[Math.floor(random() * fields.length)]!;
    const value = oddValues[Math.floor(random() * oddValues.length)];
    if (value === undefined && random() < 0.5) delete event[field];
    else event[field] = value;
  }
  return event;
}

function agree(event: unknown) {
  const zod = SdkEvent.safeParse(event);
  const fast = fastCheck(event);
  expect(fast !== undefined, JSON.stringify(event)).toBe(zod.success);
  if (fast) expect(checkEvent(event, 0)).toEqual(fast);
  else expect(checkEvent(event, 0)).toHaveProperty('message');
}

describe('the fast event check agrees with the zod schemas', () => {
  it('on edge cases', () => {
    for (const event of edgeCases) agree(event);
  });

  it('on 5,000 seeded random mutations of valid events', () => {
    const random = prng(20261124);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const event = mutate(random);
      agree(event);
      if (SdkEvent.safeParse(event).success) accepted++;
    }
    // Both outcomes are well represented.
    expect(accepted).toBeGreaterThan(200);
    expect(accepted).toBeLessThan(4800);
  });

  it('normalises ISO-8601 times to epoch milliseconds and absent fields to null', () => {
    expect(fastCheck({ ...baseTrack, ts: '2026-01-01T02:00:00+02:00' })).toEqual({
      track: { id: 't-1', ts: 1767225600000, unit: 'u-1', event: 'buy', value: null, properties: null },
    });
    expect(fastCheck({ ...baseExposure, attributes: { a: 1 } })).toEqual({
      exposure: { ...baseExposure, type: undefined, flag: null, attributes: '{"a":1}' },
    });
  });
});
