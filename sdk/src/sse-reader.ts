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

/**
 * An incremental parser for the `text/event-stream` format (WHATWG HTML §9.2): feed it decoded
 * text in chunks of any size; it handles lines split across chunks, CR / LF / CRLF line ends,
 * comments (`: ping`), multi-line `data`, `id` and `retry`.
 *
 * @example
 * const push = createSseParser({ onEvent: (e) => console.log(e.type, e.data) });
 * push('event: ruleset\ndata: {"a"');
 * push(':1}\nid: 7\n\n'); // logs: ruleset {"a":1}
 */
export function createSseParser(handlers: SseHandlers, lastEventId = ''): (chunk: string) => void {
  let buffer = '';
  let type = '';
  let data: string[] = [];
  let id = lastEventId;
  let first = true;
  // A chunk may end between CR and LF: remember it so the LF is not read as an empty line.
  let skipLf = false;

  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) handlers.onEvent({ type: type || 'message', data: data.join('\n'), id });
      type = '';
      data = [];
      return;
    }
    if (text.charCodeAt(0) === 58 /* ':' comment, e.g. heartbeats */) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
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
    // The carried-over text holds no line break, so scanning resumes where the new chunk starts:
    // a large payload arriving in many chunks is scanned once, not once per chunk.
    let i = buffer.length;
    buffer += chunk;
    let start = 0;
    for (; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      line(buffer.slice(start, i));
      if (c === 13) {
        if (i + 1 === buffer.length) skipLf = true;
        else if (buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    buffer = buffer.slice(start);
  };
}
