// The hot-path check of an event batch: a hand-written validator that accepts exactly what the zod
// schemas in events-schemas.ts accept, at a fraction of the cost. Anything it does not accept at a
// glance goes through zod, which then decides and words the rejection, so zod stays the authority
// (tests/events/validator-agreement.test.ts compares the two on valid, invalid and fuzzed events).
import { AppError } from '../errors.ts';
import { JSON_LIMIT_DEFAULTS, jsonTextTooLarge, nestsDeeperThan } from '../json-limits.ts';
import { EventTime, SdkEvent, type EventRejection } from './events-schemas.ts';

export interface ExposureRow {
  id: string;
  ts: number;
  unit: string;
  experiment: string;
  variation: string;
  flag: string | null;
  /** JSON text, or null. */
  attributes: string | null;
}

export interface TrackRow {
  id: string;
  ts: number;
  unit: string;
  event: string;
  value: number | null;
  /** JSON text, or null. */
  properties: string | null;
}

export interface ParsedEvents {
  exposures: ExposureRow[];
  tracks: TrackRow[];
  rejected: EventRejection[];
}

export interface ParseOptions {
  maxEvents: number;
  /** Epoch ms the skew is measured from (the request's arrival). */
  now: number;
  /** How far ahead of `now` a timestamp may lie, in ms. */
  maxFutureMs: number;
  /** How far behind `now` a timestamp may lie, in ms. */
  maxPastMs: number;
  /** How deep an event's `properties` / `attributes` may nest (default MAX_JSON_DEPTH's). */
  maxDepth?: number;
  /** How large an event's `properties` / `attributes` may be as JSON (default EVENTS_MAX_PROPERTIES_BYTES's). */
  maxPropertiesBytes?: number;
}

const exposureKeys = new Set(['type', 'id', 'ts', 'unit', 'experiment', 'variation', 'flag', 'attributes']);
const trackKeys = new Set(['type', 'id', 'ts', 'unit', 'event', 'value', 'properties']);

const isName = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= 256;
const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= 128;
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Epoch ms of a valid `ts`, or NaN. Numbers are checked here; strings by the zod schema. */
function timeOf(ts: unknown): number {
  if (typeof ts === 'number') return Number.isInteger(ts) && ts >= 0 && ts <= 8.64e15 ? ts : NaN;
  if (typeof ts === 'string' && EventTime.safeParse(ts).success) return Date.parse(ts);
  return NaN;
}

function hasOnly(event: Record<string, unknown>, allowed: Set<string>): boolean {
  for (const key in event) if (!allowed.has(key)) return false;
  return true;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** Fast acceptance: the normalised row, or undefined when zod has to look at the event. */
function fastExposure(e: Record<string, unknown>): ExposureRow | undefined {
  const ts = timeOf(e.ts);
  if (
    ts !== ts ||
    !isId(e.id) ||
    !isName(e.unit) ||
    !isName(e.experiment) ||
    !isName(e.variation) ||
    (e.flag !== undefined && !isName(e.flag)) ||
    (e.attributes !== undefined && !isPlainObject(e.attributes)) ||
    !hasOnly(e, exposureKeys)
  )
    return undefined;
  return {
    id: e.id,
    ts,
    unit: e.unit,
    experiment: e.experiment,
    variation: e.variation,
    flag: (e.flag as string | undefined) ?? null,
    attributes: json(e.attributes),
  };
}

function fastTrack(e: Record<string, unknown>): TrackRow | undefined {
  const ts = timeOf(e.ts);
  if (
    ts !== ts ||
    !isId(e.id) ||
    !isName(e.unit) ||
    !isName(e.event) ||
    (e.value !== undefined && !(typeof e.value === 'number' && Number.isFinite(e.value))) ||
    (e.properties !== undefined && !isPlainObject(e.properties)) ||
    !hasOnly(e, trackKeys)
  )
    return undefined;
  return {
    id: e.id,
    ts,
    unit: e.unit,
    event: e.event,
    value: (e.value as number | undefined) ?? null,
    properties: json(e.properties),
  };
}

/** The hand-written check alone: the row of an event zod would accept, else undefined. */
export function fastCheck(event: unknown): { exposure: ExposureRow } | { track: TrackRow } | undefined {
  if (!isPlainObject(event)) return undefined;
  if (event.type === 'exposure') {
    const row = fastExposure(event);
    return row && { exposure: row };
  }
  if (event.type === 'track') {
    const row = fastTrack(event);
    return row && { track: row };
  }
  return undefined;
}

/**
 * Checks one event: its row, or the zod message naming the first bad fields.
 * @example checkEvent({ type: 'track', id: 'e1', ts: 1767225600000, unit: 'u1', event: 'buy' }, 0)
 */
export function checkEvent(
  event: unknown,
  index: number,
): { exposure: ExposureRow } | { track: TrackRow } | { message: string } {
  const fast = fastCheck(event);
  if (fast) return fast;
  const result = SdkEvent.safeParse(event);
  if (!result.success) {
    const message = result.error.issues
      .slice(0, 3)
      .map((issue) => {
        const keys = issue.code === 'unrecognized_keys' ? `.${issue.keys.join(',')}` : '';
        return `${['events', index, ...issue.path].join('.')}${keys}: ${issue.message}`;
      })
      .join('; ');
    return { message };
  }
  // zod accepted what the fast path did not: normalise zod's output (never expected; the
  // agreement test would fail first, but the event is still stored correctly).
  const data = result.data;
  const ts = typeof data.ts === 'number' ? data.ts : Date.parse(data.ts);
  if (data.type === 'exposure') {
    const { id, unit, experiment, variation, flag, attributes } = data;
    return {
      exposure: { id, ts, unit, experiment, variation, flag: flag ?? null, attributes: json(attributes) },
    };
  }
  const { id, unit, event: name, value, properties } = data;
  return { track: { id, ts, unit, event: name, value: value ?? null, properties: json(properties) } };
}

/** The refusal of an event whose `properties` or `attributes` nest more than `maxDepth` deep. */
function tooDeep(event: unknown, index: number, maxDepth: number): string | undefined {
  if (!isPlainObject(event)) return undefined;
  const field = nestsDeeperThan(event.properties, maxDepth)
    ? 'properties'
    : nestsDeeperThan(event.attributes, maxDepth)
      ? 'attributes'
      : undefined;
  return field && `events.${index}.${field}: nested more than ${maxDepth} levels deep (objects and arrays)`;
}

/**
 * Splits a parsed JSON body into rows to store and per-event rejections. A body that is not
 * `{ "events": [...] }` (or has too many events) is a 400 and nothing is written.
 * @example parseEvents(JSON.parse(text), { maxEvents: 1000, now: Date.now(), maxFutureMs, maxPastMs })
 */
export function parseEvents(body: unknown, options: ParseOptions): ParsedEvents {
  if (!isPlainObject(body) || !Array.isArray(body.events)) {
    throw new AppError('validation_failed', 'body.events: expected an array of events');
  }
  for (const key in body) {
    if (key !== 'events') throw new AppError('validation_failed', `body.${key}: unrecognized key`);
  }
  const events: unknown[] = body.events;
  if (events.length === 0) throw new AppError('validation_failed', 'body.events: expected at least 1 event');
  if (events.length > options.maxEvents) {
    throw new AppError(
      'validation_failed',
      `body.events: at most ${options.maxEvents} events per batch (got ${events.length})`,
    );
  }
  const earliest = options.now - options.maxPastMs;
  const latest = options.now + options.maxFutureMs;
  const { maxDepth = JSON_LIMIT_DEFAULTS.maxDepth } = options;
  const { maxPropertiesBytes = JSON_LIMIT_DEFAULTS.maxEventPropertiesBytes } = options;
  const parsed: ParsedEvents = { exposures: [], tracks: [], rejected: [] };
  for (let index = 0; index < events.length; index++) {
    // Depth before anything serialises the event's JSON (JSON.stringify recurses), size after.
    const deep = tooDeep(events[index], index, maxDepth);
    const checked = deep ? { message: deep } : checkEvent(events[index], index);
    if ('message' in checked) {
      parsed.rejected.push({ index, code: 'validation_failed', message: checked.message });
      continue;
    }
    const row = 'exposure' in checked ? checked.exposure : checked.track;
    const text = 'exposure' in checked ? checked.exposure.attributes : checked.track.properties;
    const large = text === null ? undefined : jsonTextTooLarge(text, maxPropertiesBytes);
    if (large) {
      const field = 'exposure' in checked ? 'attributes' : 'properties';
      parsed.rejected.push({
        index,
        code: 'validation_failed',
        message: `events.${index}.${field}: ${large}`,
      });
      continue;
    }
    if (row.ts < earliest || row.ts > latest) {
      const when = row.ts < earliest ? 'too far in the past' : 'too far in the future';
      parsed.rejected.push({
        index,
        code: 'timestamp_out_of_range',
        message: `events.${index}.ts: ${new Date(row.ts).toISOString()} is ${when} (accepted: ${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()})`,
      });
    } else if ('exposure' in checked) parsed.exposures.push(checked.exposure);
    else parsed.tracks.push(checked.track);
  }
  return parsed;
}
