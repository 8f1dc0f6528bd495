// Conditions are compiled once per payload into closures: paths pre-split, regexes and sets built,
// operands validated. Evaluation then walks no JSON and parses nothing. A malformed node is
// reported through `report` and compiles to "never matches"; compiling never throws.
import { compileOperator } from './condition-operators.js';

/** A compiled test on one value (attributes, an attribute, an array element...). */
export type Predicate = (target: unknown) => boolean;

/** What compiling a condition needs from its surroundings. */
export interface ConditionScope {
  savedGroups: ReadonlyMap<string, ReadonlySet<unknown>>;
  report(path: string, message: string): void;
}

export const ALWAYS: Predicate = () => true;
export const NEVER: Predicate = () => false;

export const hasOwn = Object.prototype.hasOwnProperty;

/** A finite number (not NaN or ±Infinity). */
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** `v` when it is a non-empty string, otherwise `undefined`: `str(def.seed) ?? key`. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/**
 * Plain JSON object (not null, not an array).
 *
 * @example
 * isRecord({ a: 1 }); // true — isRecord([1]) and isRecord(null) are false
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `{ $gt: 1 }` style: at least one key and every key an operator.
 *
 * @example
 * isOperatorObject({ $gt: 1, $lt: 5 }); // true — { $gt: 1, a: 2 } and {} are not
 */
export function isOperatorObject(value: Record<string, unknown>): boolean {
  let count = 0;
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue;
    if (key.charCodeAt(0) !== 36 /* $ */) return false;
    count++;
  }
  return count > 0;
}

/**
 * All of `preds`, specialised for the common small counts.
 *
 * @example
 * allOf([(t) => t !== null, (t) => typeof t === 'object'])({}); // true
 */
export function allOf(preds: Predicate[]): Predicate {
  if (preds.length === 0) return ALWAYS;
  if (preds.length === 1) return preds[0];
  if (preds.length === 2) {
    const [a, b] = preds;
    return (t) => a(t) && b(t);
  }
  return (t) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i](t)) return false;
    return true;
  };
}

function anyOf(preds: Predicate[]): Predicate {
  if (preds.length === 0) return ALWAYS; // the specification: an empty $or passes
  if (preds.length === 1) return preds[0];
  return (t) => {
    for (let i = 0; i < preds.length; i++) if (preds[i](t)) return true;
    return false;
  };
}

/**
 * Reads a dot-separated path; a missing step yields `null`, as the specification's `getPath`.
 *
 * @example
 * compilePath('job.title')({ job: { title: 'dev' } }); // 'dev'
 */
export function compilePath(path: string): (target: unknown) => unknown {
  if (path.indexOf('.') < 0) {
    return (t) =>
      typeof t === 'object' && t !== null && hasOwn.call(t, path)
        ? (t as Record<string, unknown>)[path]
        : null;
  }
  const parts = path.split('.');
  return (t) => {
    let current = t;
    for (let i = 0; i < parts.length; i++) {
      if (typeof current !== 'object' || current === null || !hasOwn.call(current, parts[i])) return null;
      current = (current as Record<string, unknown>)[parts[i]];
    }
    return current;
  };
}

function compileList(list: unknown, scope: ConditionScope, path: string): Predicate[] | null {
  if (!Array.isArray(list)) {
    scope.report(path, 'expected an array');
    return null;
  }
  return list.map((c, i) => compileCondition(c, scope, `${path}[${i}]`));
}

/**
 * Compiles a condition (`{ attr: value | { $op: operand }, $and, $or, $nor, $not }`) into a
 * predicate over an attributes object. Every key must pass.
 *
 * @example
 * const p = compileCondition({ age: { $gte: 18 } }, { savedGroups: new Map(), report: () => {} });
 * p({ age: 21 }); // true
 */
export function compileCondition(condition: unknown, scope: ConditionScope, path = 'condition'): Predicate {
  if (!isRecord(condition)) {
    scope.report(path, 'expected an object');
    return NEVER;
  }
  const preds: Predicate[] = [];
  for (const key of Object.keys(condition)) {
    const operand = condition[key];
    const at = `${path}.${key}`;
    if (key === '$or' || key === '$nor' || key === '$and') {
      const list = compileList(operand, scope, at);
      if (list === null) preds.push(NEVER);
      else if (key === '$and') preds.push(allOf(list));
      else if (key === '$or') preds.push(anyOf(list));
      else {
        const any = anyOf(list);
        preds.push((t) => !any(t));
      }
    } else if (key === '$not') {
      const inner = compileCondition(operand, scope, at);
      preds.push((t) => !inner(t));
    } else {
      const get = compilePath(key);
      const test = compileValue(operand, scope, at);
      preds.push((t) => test(get(t)));
    }
  }
  return allOf(preds);
}

/**
 * Compiles the right-hand side of `attr: <here>`: a literal (loosely compared, as the spec says),
 * a JSON value compared structurally, or an operator object.
 *
 * @example
 * compileValue({ $in: ['NL', 'BE'] }, scope, 'country')('NL'); // true
 */
export function compileValue(expected: unknown, scope: ConditionScope, path: string): Predicate {
  switch (typeof expected) {
    case 'string':
      return (v) => (typeof v === 'string' ? v === expected : String(v) === expected);
    case 'number':
      return (v) => (typeof v === 'number' ? v : Number(v)) === expected;
    case 'boolean':
      return (v) => v !== null && !!v === expected;
    case 'object': {
      if (expected === null) return (v) => v === null;
      if (Array.isArray(expected) || !isOperatorObject(expected as Record<string, unknown>)) {
        const json = JSON.stringify(expected);
        return (v) => JSON.stringify(v) === json;
      }
      const ops = expected as Record<string, unknown>;
      return allOf(Object.keys(ops).map((op) => compileOperator(op, ops[op], scope, `${path}.${op}`)));
    }
    default:
      scope.report(path, `unexpected ${typeof expected}`);
      return NEVER;
  }
}
