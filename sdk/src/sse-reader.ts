/**
 * One dispatched Server-Sent Event.
 *
 * @example
 * // event: ruleset\nid: 7\ndata: {...}\n\n  →  { type: 'ruleset', id: '7', data: '{...}' }
 */
export interface SseEvent {
  /** `event:` field, `message` when absent. */
  type: string;
  /** All `data:` lines joined with `\n`. */
  data: string;
  /** The last event id seen on the stream so far (ids persist across events, per the spec). */
  id: string;
}

/**
 * Callbacks of {@link createSseParser}.
 *
 * @example
 * createSseParser({ onEvent: (e) => apply(e.data), onRetry: (ms) => (base = ms) });
 */
export interface SseHandlers {
  onEvent(event: SseEvent): void;
  /** A `retry:` field: the server's preferred reconnection delay. */
  onRetry?(ms: number): void;
}

/** What one line, or the data lines of one event, may hold (characters): many times any sane ruleset. */
const MAX_EVENT_SIZE = 32 * 2 ** 20;

/**
 * An incremental parser for the `text/event-stream` format (WHATWG HTML §9.2): feed it decoded
 * text in chunks of any size; it handles lines split across chunks, CR / LF / CRLF line ends,
 * comments (`: ping`), multi-line `data`, `id` and `retry`. A line or an event's data lines beyond
 * `maxSize` characters make it throw (a stream that never breaks its lines must not take all memory):
 * the caller drops the stream.
 *
 * @example
 * const push = createSseParser({ onEvent: (e) => console.log(e.type, e.data) });
 * push('event: ruleset\ndata: {"a"');
 * push(':1}\nid: 7\n\n'); // logs: ruleset {"a":1}
 */
export function createSseParser(
  handlers: SseHandlers,
  lastEventId = '',
  maxSize = MAX_EVENT_SIZE,
): (chunk: string) => void {
  let buffer = '';
  let type = '';
  let data: string[] = [];
  // The length of the current event's data lines.
  let size = 0;
  const tooLarge = (length: number) => {
    if (length > maxSize) throw new Error(`SSE event too large (over ${maxSize} characters)`);
  };
  let id = lastEventId;
  let first = true;
  // A chunk may end between CR and LF: remember it so the LF is not read as an empty line.
  let skipLf = false;

  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) handlers.onEvent({ type: type || 'message', data: data.join('\n'), id });
      type = '';
      data = [];
      size = 0;
      return;
    }
    if (text.charCodeAt(0) === 58 /* ':' comment, e.g. heartbeats */) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      tooLarge((size += text.length));
      data.push(value);
    } else if (field === 'event') type = value;
    else if (field === 'id') {
      if (!value.includes('\0')) id = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) handlers.onRetry?.(Number(value));
  };

  return (chunk) => {
    if (first && chunk) {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (skipLf && chunk.charCodeAt(0) === 10) chunk = chunk.slice(1);
    skipLf = false;
    // The carried-over text holds no line break, so only the new chunk is scanned, and the carried
    // text is joined to the line it starts once, when the line ends: scanning `buffer + chunk`
    // copied (flattened) all of it at every chunk, quadratic in a long line's chunks.
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      line(buffer + chunk.slice(start, i));
      buffer = '';
      if (c === 13) {
        if (i + 1 === chunk.length) skipLf = true;
        else if (chunk.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    buffer += chunk.slice(start);
    tooLarge(buffer.length + size);
  };
}
