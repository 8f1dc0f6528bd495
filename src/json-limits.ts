// Limits on the JSON people store or send: how deep it nests and how large it is. Checked before
// anything recursive touches a value (zod, the condition validator, JSON.stringify in the stores,
// the payload compiler, every SDK's condition compiler), so that those stay bounded by the limit
// instead of by the stack. The measures here are iterative: no input can make them overflow.
// See docs/decisions/0011-json-limits.md for the numbers.

/** Defaults of the settings in env.ts, also used where a caller gives no limit (benchmarks, tools). */
export const JSON_LIMIT_DEFAULTS = {
  /** Objects and arrays nested in one stored value. */
  maxDepth: 32,
  /** A flag value (default, rule, variation) or a condition, as JSON bytes. */
  maxValueBytes: 64 * 1024,
  /** An event's `properties` or `attributes`, as JSON bytes. */
  maxEventPropertiesBytes: 32 * 1024,
} as const;

/** How much deeper than a stored value a request body may nest: the request's own structure around it. */
export const BODY_DEPTH_MARGIN = 8;

export interface JsonLimits {
  maxDepth: number;
  maxBytes: number;
}

export interface JsonIssue {
  path: string;
  message: string;
}

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/**
 * Whether `value` nests objects and arrays more than `maxDepth` deep (`1` is 0 deep, `{}` and `[]`
 * are 1, `{"a":[1]}` is 2). Stops at the first container too deep.
 * @example nestsDeeperThan(JSON.parse('[[[1]]]'), 2) // true
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  if (!isContainer(value)) return false;
  // Containers and their depths, interleaved: one array per call (events check every event).
  const stack: unknown[] = [value, 1];
  while (stack.length > 0) {
    const depth = stack.pop() as number;
    const node = stack.pop() as Record<string, unknown>;
    if (depth > maxDepth) return true;
    if (Array.isArray(node)) {
      for (const child of node) if (isContainer(child)) stack.push(child, depth + 1);
    } else {
      for (const key in node) if (isContainer(node[key])) stack.push(node[key], depth + 1);
    }
  }
  return false;
}

/**
 * The keys leading to the first container nested more than `maxDepth` deep in `value`, or
 * undefined. Slower than `nestsDeeperThan` (it keeps paths): for wording a refusal.
 */
export function tooDeepAt(value: unknown, maxDepth: number): string[] | undefined {
  interface Frame {
    node: unknown;
    depth: number;
    key: string;
    parent: Frame | undefined;
  }
  if (!isContainer(value)) return undefined;
  const stack: Frame[] = [{ node: value, depth: 1, key: '', parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > maxDepth) {
      const path: string[] = [];
      for (let at: Frame | undefined = frame; at?.parent; at = at.parent) path.push(at.key);
      return path.reverse();
    }
    for (const [key, child] of Object.entries(frame.node as object)) {
      if (isContainer(child)) stack.push({ node: child, depth: frame.depth + 1, key, parent: frame });
    }
  }
  return undefined;
}

/**
 * Whether JSON text nests objects and arrays more than `maxDepth` deep, read from the text alone
 * (brackets outside strings), so before anything parses it.
 * @example textNestsDeeperThan('{"a":"[[["}', 1) // false
 */
export function textNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: jump to its closing quote, the first one not escaped by an odd run of backslashes.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i < 0) return false; // unterminated: malformed, the parser says so
        let backslashes = 0;
        while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** `body.rules.0.condition.$not.$not…`: a path shortened to its first `keep` segments. */
export function shortPath(segments: string[], keep = 7): string {
  return segments.length > keep ? `${segments.slice(0, keep).join('.')}…` : segments.join('.');
}

/** UTF-8 length of a string; exact, but skipped when even 3 bytes a character stays under `max`. */
function overBytes(text: string, max: number): number | undefined {
  if (text.length * 3 <= max) return undefined;
  const bytes = Buffer.byteLength(text);
  return bytes > max ? bytes : undefined;
}

/**
 * The problem with a JSON value stored at `path` (depth first, then size), or undefined. `hint`
 * is added to a size refusal (what to do instead).
 * @example jsonValueIssue(body.defaultValue, 'body.defaultValue', { maxDepth: 32, maxBytes: 65536 })
 */
export function jsonValueIssue(
  value: unknown,
  path: string,
  limits: JsonLimits,
  hint = '',
): JsonIssue | undefined {
  if (nestsDeeperThan(value, limits.maxDepth)) {
    return { path, message: `nested more than ${limits.maxDepth} levels deep (objects and arrays)` };
  }
  if (value === undefined) return undefined;
  const bytes = overBytes(JSON.stringify(value), limits.maxBytes);
  if (bytes !== undefined) {
    return { path, message: `${bytes} bytes as JSON, more than the limit of ${limits.maxBytes}${hint}` };
  }
  return undefined;
}

/** Why JSON text already made (events serialise once) is too large, or undefined. */
export function jsonTextTooLarge(text: string, maxBytes: number): string | undefined {
  const bytes = overBytes(text, maxBytes);
  return bytes === undefined ? undefined : `${bytes} bytes as JSON, more than the limit of ${maxBytes}`;
}
