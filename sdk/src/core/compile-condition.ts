// Conditions are compiled once per payload into closures: paths pre-split, regexes and sets built.
// Evaluation then walks no JSON. A broken operator (bad operand, unknown name) is reported and never
// matches, as the specification asks; a broken structure (a condition that is not an object, an
// `$or` that is not a list) throws, and the caller degrades the whole rule.
import { padVersion } from './pad-version.js';

/** A compiled test on one value (attributes, an attribute, an array element...). */
export type Predicate = (target: unknown) => boolean;

/** A compiled regular expression, as conditions use it: `RegExp` fits. */
export interface RegexTester {
  test(input: string): boolean;
}

/**
 * Builds the tester of a `$regex` (flags `''`) or `$regexi` (flags `'i'`) operand, throwing on a
 * pattern it refuses (the operator then never matches). The default is `RegExp` itself; a server
 * that evaluates patterns it did not write passes a linear-time engine instead (ReDoS).
 *
 * @example
 * // a server matching patterns against attributes sent by others, with a linear-time engine
 * const regex: RegexFactory = (pattern, flags) => linearEngine.compile(pattern, flags);
 * compile(payload, { regex });
 */
export type RegexFactory = (pattern: string, flags: string) => RegexTester;

/** What compiling a condition needs from its surroundings. */
export interface ConditionScope {
  savedGroups: Record<string, unknown>;
  report(message: string): void;
  /** Compiles `$regex` / `$regexi` operands; `RegExp` when absent. */
  regex?: RegexFactory;
}

type Rec = Record<string, unknown>;
type Operator = (operand: unknown, scope: ConditionScope) => Predicate;

const NEVER: Predicate = () => false;

// Operands that should be lists are used as lists without a check: `.map` on anything else throws,
// which is the check (the operator, or the rule, then degrades).
type List = unknown[];

// An empty `$and` passes and so does an empty `$or`, as the specification says.
// Loops, not every/some: conditions run on every evaluation and a callback would be a closure each.
const all =
  (ps: Predicate[]): Predicate =>
  (t) => {
    for (const p of ps) if (!p(t)) return false;
    return true;
  };
const any =
  (ps: Predicate[]): Predicate =>
  (t) => {
    for (const p of ps) if (p(t)) return true;
    return !ps[0];
  };
const not =
  (p: Predicate): Predicate =>
  (t) =>
    !p(t);

const lower = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

/** Membership, with the specification's rule that an array attribute matches on any element. */
function memberOf(values: List, fold?: boolean): Predicate {
  const set = new Set(values.map((x) => (fold ? lower(x) : x)));
  const has: Predicate = fold ? (x) => set.has(lower(x)) : (x) => set.has(x);
  return (v) => (Array.isArray(v) ? v.some(has) : has(v));
}

function savedGroup(id: unknown, scope: ConditionScope): unknown[] {
  const group = scope.savedGroups[id as string];
  if (group === undefined) scope.report(`unknown saved group ${String(id)}`);
  return (group ?? []) as List;
}

/**
 * The specification's type names, as `$type` compares them.
 *
 * @example
 * typeName([1]); // 'array' — typeName(null) is 'null'
 */
const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

// Comparisons on raw values use JavaScript's loose relational semantics ("8" > 5, null < 1), which is
// what the conformance suite encodes; the version operators compare normalised version strings.
const COMPARE: Record<string, (a: never, b: never) => boolean> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  lte: (a, b) => a <= b,
  gt: (a, b) => a > b,
  gte: (a, b) => a >= b,
};

const OPERATORS: Record<string, Operator> = {
  $in: (x) => memberOf(x as List),
  $nin: (x) => not(memberOf(x as List)),
  $ini: (x) => memberOf(x as List, true),
  $nini: (x) => not(memberOf(x as List, true)),
  $inGroup: (x, s) => memberOf(savedGroup(x, s)),
  $notInGroup: (x, s) => not(memberOf(savedGroup(x, s))),
  $all: (x, s) => every(x, s),
  $alli: (x, s) => every(x, s, true),
  $elemMatch: (x, s) => {
    const item = isOperatorObject(x as object) ? compileValue(x, s) : compileCondition(x, s);
    return (v) => Array.isArray(v) && v.some(item);
  },
  $size: (x, s) => {
    const size = compileValue(x, s);
    return (v) => Array.isArray(v) && size(v.length);
  },
  $exists: (x) => (x ? (v) => v != null : (v) => v == null),
  $type: (x) => (v) => typeName(v) === x,
  $not: (x, s) => not(compileValue(x, s)),
  $regex: (x, s) => regex(x, '', s),
  $regexi: (x, s) => regex(x, 'i', s),
};
for (const name in COMPARE) {
  const cmp = COMPARE[name];
  OPERATORS['$' + name] = (x) => (v) => cmp(v as never, x as never);
  OPERATORS['$v' + name] = (x) => {
    const right = padVersion(x);
    return (v) => cmp(padVersion(v) as never, right as never);
  };
}

// Through the scope's engine: a server evaluating others' attributes passes a linear-time one.
function regex(x: unknown, flags: string, s: ConditionScope): Predicate {
  if (typeof x !== 'string') throw TypeError();
  const re = (s.regex || RegExp)(x, flags);
  return (v) => re.test(String(v));
}

/** `$all` / `$alli`: every part matches some element of an array attribute. */
function every(x: unknown, s: ConditionScope, fold?: boolean): Predicate {
  const parts = (x as List).map((part) => compileValue(part, s, fold));
  return (v) => Array.isArray(v) && parts.every((part) => v.some(part));
}

/**
 * `{ $gt: 1 }` style: at least one key and every key an operator.
 *
 * @example
 * isOperatorObject({ $gt: 1, $lt: 5 }); // true — { $gt: 1, a: 2 } and {} are not
 */
function isOperatorObject(value: object): boolean {
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k[0] === '$');
}

// How deep conditions may nest (each condition or operator object is a level). Real ones stay under
// ten and a Flagstaff server stores at most 200 (MAX_JSON_DEPTH); unbounded, compiling and then
// evaluating would overflow the stack, or not, depending on how deep in its own the app calls from.
// Past the limit the rule is dropped and reported, like any broken structure.
const TOO_DEEP = RangeError('condition nested too deep');
// Compiling is synchronous, so one counter follows the nesting of the condition being compiled.
let nesting = 0;

/** `all` of the predicates `part` compiles from the keys of `object`, one level deeper. */
function allOf(object: Rec, part: (key: string) => Predicate): Predicate {
  try {
    if (++nesting > 256) throw TOO_DEEP;
    return all(Object.keys(object).map(part));
  } finally {
    nesting--;
  }
}

/** Reads a dot-separated path; a missing step yields `null`, as the specification's `getPath`. */
function compilePath(path: string): (target: unknown) => unknown {
  const parts = path.split('.');
  return (t) => {
    for (const part of parts) {
      if (typeof t !== 'object' || t === null || !Object.hasOwn(t, part)) return null;
      t = (t as Rec)[part];
    }
    return t;
  };
}

/**
 * Compiles the right-hand side of `attr: <here>`: a literal (loosely compared, as the specification
 * says), a JSON value compared structurally, or an operator object. `fold` lower-cases strings.
 *
 * @example
 * compileValue({ $in: ['NL', 'BE'] }, scope)('NL'); // true
 */
function compileValue(x: unknown, s: ConditionScope, fold?: boolean): Predicate {
  if (typeof x === 'string') {
    const want = fold ? x.toLowerCase() : x;
    return (v) => (fold ? String(v).toLowerCase() : String(v)) === want;
  }
  if (typeof x === 'number') return (v) => Number(v) === x;
  if (typeof x === 'boolean') return (v) => v !== null && !!v === x;
  if (x === null) return (v) => v === null;
  if (Array.isArray(x) || !isOperatorObject(x as object)) {
    const json = JSON.stringify(x);
    return (v) => JSON.stringify(v) === json;
  }
  return allOf(x as Rec, (op) => {
    try {
      return OPERATORS[op]((x as Rec)[op], s);
    } catch (error) {
      if (error === TOO_DEEP) throw error; // the whole rule goes, not one operator
      s.report(`${op}: ${String(error)}`);
      return NEVER;
    }
  });
}

/**
 * Compiles a condition (`{ attr: value | { $op: operand }, $and, $or, $nor, $not }`) into a
 * predicate over an attributes object. Throws when the condition is not an object.
 *
 * @example
 * const p = compileCondition({ age: { $gte: 18 } }, { savedGroups: {}, report: () => {} });
 * p({ age: 21 }); // true
 */
export function compileCondition(condition: unknown, s: ConditionScope): Predicate {
  if (typeof condition !== 'object') throw TypeError('not a condition');
  const each = (x: unknown) => (x as List).map((c) => compileCondition(c, s));
  return allOf(condition as Rec, (key) => {
    const x = (condition as Rec)[key];
    if (key === '$and') return all(each(x));
    if (key === '$or') return any(each(x));
    if (key === '$nor') return not(any(each(x)));
    if (key === '$not') return not(compileCondition(x, s));
    const get = compilePath(key);
    const test = compileValue(x, s);
    return (t) => test(get(t));
  });
}
