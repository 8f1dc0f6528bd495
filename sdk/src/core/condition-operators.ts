// One compiler per operator. Operands are checked here, once; a wrong operand (an $in that is not an
// array, a regex that does not compile...) is reported and the operator never matches, which is
// what the specification asks of unknown or broken operators.
import {
  compileCondition,
  compileValue,
  hasOwn,
  isOperatorObject,
  isRecord,
  NEVER,
} from './compile-condition.js';
import type { ConditionScope, Predicate } from './compile-condition.js';
import { padVersion, padVersionCached } from './pad-version.js';

type Compare = (a: number, b: number) => boolean;

// `unknown` operands are compared with JavaScript's own relational semantics ("8" > 5, null < 1),
// which is what the conformance suite encodes; the casts only silence the type checker.
const RELATIONAL: Record<string, Compare> = {
  $lt: (a, b) => a < b,
  $lte: (a, b) => a <= b,
  $gt: (a, b) => a > b,
  $gte: (a, b) => a >= b,
};

const VERSION: Record<string, (a: string, b: string) => boolean> = {
  $veq: (a, b) => a === b,
  $vne: (a, b) => a !== b,
  $vlt: (a, b) => a < b,
  $vlte: (a, b) => a <= b,
  $vgt: (a, b) => a > b,
  $vgte: (a, b) => a >= b,
};

/**
 * The specification's type names, as `$type` compares them.
 *
 * @example
 * typeName([1]); // 'array' — typeName(null) is 'null'
 */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean' || t === 'object' || t === 'undefined'
    ? t
    : 'unknown';
}

const lower = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

/** Membership with the specification's array rule: an array attribute matches on any element. */
function memberOf(set: ReadonlySet<unknown>, fold: boolean): Predicate {
  if (fold) {
    return (v) => (Array.isArray(v) ? v.some((x) => set.has(lower(x))) : set.has(lower(v)));
  }
  return (v) => {
    if (!Array.isArray(v)) return set.has(v);
    for (let i = 0; i < v.length; i++) if (set.has(v[i])) return true;
    return false;
  };
}

function compileVersion(op: string, operand: unknown, scope: ConditionScope, path: string): Predicate {
  if (typeof operand !== 'string' && typeof operand !== 'number') {
    scope.report(path, 'expected a version');
    return NEVER;
  }
  const cmp = VERSION[op];
  const right = padVersion(String(operand));
  return (v) =>
    // As the reference SDKs do: anything that is not a non-empty string or a number (a missing
    // attribute included) compares as version "0".
    cmp(
      padVersionCached(typeof v === 'number' ? String(v) : typeof v === 'string' && v !== '' ? v : '0'),
      right,
    );
}

function compileRegex(op: string, operand: unknown, scope: ConditionScope, path: string): Predicate {
  if (typeof operand !== 'string') {
    scope.report(path, 'expected a string');
    return NEVER;
  }
  let re: RegExp;
  try {
    re = new RegExp(operand, op === '$regexi' ? 'i' : '');
  } catch {
    scope.report(path, `invalid regular expression ${JSON.stringify(operand)}`);
    return NEVER;
  }
  return (v) => re.test(String(v));
}

function compileAll(op: string, operand: unknown, scope: ConditionScope, path: string): Predicate {
  if (!Array.isArray(operand)) {
    scope.report(path, 'expected an array');
    return NEVER;
  }
  const parts: Predicate[] = operand.map((part, i) => {
    if (op === '$alli' && typeof part === 'string') {
      const want = part.toLowerCase();
      return (v: unknown) => String(v).toLowerCase() === want;
    }
    return compileValue(part, scope, `${path}[${i}]`);
  });
  return (v) => Array.isArray(v) && parts.every((part) => v.some((x) => part(x)));
}

/**
 * Compiles one `$operator: operand` pair into a predicate over the attribute value.
 *
 * @example
 * compileOperator('$vgte', '2.1.0', scope, 'appVersion')('2.10.0'); // true
 */
export function compileOperator(
  op: string,
  operand: unknown,
  scope: ConditionScope,
  path: string,
): Predicate {
  if (hasOwn.call(RELATIONAL, op)) {
    const cmp = RELATIONAL[op];
    const right = operand as number;
    return (v) => cmp(v as number, right);
  }
  if (hasOwn.call(VERSION, op)) return compileVersion(op, operand, scope, path);
  switch (op) {
    case '$eq':
      return (v) => v === operand;
    case '$ne':
      return (v) => v !== operand;
    case '$regex':
    case '$regexi':
      return compileRegex(op, operand, scope, path);
    case '$in':
    case '$nin':
    case '$ini':
    case '$nini': {
      if (!Array.isArray(operand)) {
        scope.report(path, 'expected an array');
        return NEVER;
      }
      const fold = op === '$ini' || op === '$nini';
      const test = memberOf(new Set(fold ? operand.map(lower) : operand), fold);
      return op === '$in' || op === '$ini' ? test : (v) => !test(v);
    }
    case '$inGroup':
    case '$notInGroup': {
      const group = typeof operand === 'string' ? scope.savedGroups.get(operand) : undefined;
      if (group === undefined) scope.report(path, `unknown saved group ${JSON.stringify(operand)}`);
      const test = memberOf(group ?? new Set(), false);
      return op === '$inGroup' ? test : (v) => !test(v);
    }
    case '$all':
    case '$alli':
      return compileAll(op, operand, scope, path);
    case '$elemMatch': {
      if (!isRecord(operand)) {
        scope.report(path, 'expected an object');
        return NEVER;
      }
      const item = isOperatorObject(operand)
        ? compileValue(operand, scope, path)
        : compileCondition(operand, scope, path);
      return (v) => Array.isArray(v) && v.some(item);
    }
    case '$size': {
      const size = compileValue(operand, scope, path);
      return (v) => Array.isArray(v) && size(v.length);
    }
    case '$exists':
      return operand ? (v) => v !== null && v !== undefined : (v) => v === null || v === undefined;
    case '$type':
      return (v) => typeName(v) === operand;
    case '$not': {
      const inner = compileValue(operand, scope, path);
      return (v) => !inner(v);
    }
    default:
      scope.report(path, `unknown operator ${op}`);
      return NEVER;
  }
}
