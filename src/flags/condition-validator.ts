// Checks a targeting condition before it is stored, so that mistakes are reported to the person
// making them, with the path of the bad part, instead of silently evaluating to false in every SDK.
// The operator set is that of the GrowthBook SDK specification 0.8 (see docs/decisions/0001).
import { linearRegexProblem } from '../sdk-api/linear-regex.ts';

export interface ConditionIssue {
  path: string;
  message: string;
}

const comparison = new Set(['$lt', '$lte', '$gt', '$gte']);
const versions = new Set(['$veq', '$vne', '$vgt', '$vgte', '$vlt', '$vlte']);
const lists = new Set(['$in', '$nin', '$all']);
const groups = new Set(['$inGroup', '$notInGroup']);
const types = new Set(['string', 'number', 'boolean', 'array', 'object', 'null', 'undefined']);
const logical = new Set(['$and', '$or', '$nor']);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isOperatorObject = (value: unknown): value is Record<string, unknown> =>
  isPlainObject(value) &&
  Object.keys(value).length > 0 &&
  Object.keys(value).every((key) => key.startsWith('$'));

/** Every problem in `condition`, each with its path (e.g. `condition.country.$regex`). */
export function validateCondition(condition: unknown, path: string): ConditionIssue[] {
  const issues: ConditionIssue[] = [];
  checkCondition(condition, path, issues);
  return issues;
}

/** The saved-group (segment) keys a condition refers to through `$inGroup` / `$notInGroup`. */
export function segmentReferences(condition: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(condition)) for (const item of condition) segmentReferences(item, found);
  else if (isPlainObject(condition)) {
    for (const [key, value] of Object.entries(condition)) {
      if (groups.has(key) && typeof value === 'string') found.add(value);
      else segmentReferences(value, found);
    }
  }
  return found;
}

function checkCondition(condition: unknown, path: string, issues: ConditionIssue[]): void {
  if (!isPlainObject(condition)) {
    issues.push({ path, message: 'a condition must be an object' });
    return;
  }
  for (const [key, value] of Object.entries(condition)) {
    const at = `${path}.${key}`;
    if (logical.has(key)) {
      if (!Array.isArray(value)) issues.push({ path: at, message: `${key} takes an array of conditions` });
      else value.forEach((item, i) => checkCondition(item, `${at}.${i}`, issues));
    } else if (key === '$not') {
      checkCondition(value, at, issues);
    } else if (key.startsWith('$')) {
      issues.push({ path: at, message: `unknown operator ${key} at the top of a condition` });
    } else if (isOperatorObject(value)) {
      checkOperators(value, at, issues);
    }
    // Anything else is a literal compared for equality, which is always valid.
  }
}

function checkOperators(operators: Record<string, unknown>, path: string, issues: ConditionIssue[]): void {
  for (const [op, arg] of Object.entries(operators)) {
    const at = `${path}.${op}`;
    const fail = (message: string) => issues.push({ path: at, message });
    if (op === '$eq' || op === '$ne') continue;
    if (comparison.has(op)) {
      if (typeof arg !== 'number' && typeof arg !== 'string') fail(`${op} takes a number or a string`);
    } else if (versions.has(op)) {
      if (typeof arg !== 'string') fail(`${op} takes a version string such as "2.1.0"`);
    } else if (lists.has(op)) {
      if (!Array.isArray(arg)) fail(`${op} takes an array`);
    } else if (groups.has(op)) {
      if (typeof arg !== 'string') fail(`${op} takes a segment key`);
    } else if (op === '$regex') {
      if (typeof arg !== 'string') fail('$regex takes a string');
      else {
        // SDKs run it natively, the server in linear time: it must mean the same to both.
        let problem: string | undefined;
        try {
          new RegExp(arg);
          problem = linearRegexProblem(arg);
        } catch (error) {
          fail(`invalid regular expression: ${(error as Error).message}`);
        }
        if (problem) fail(problem);
      }
    } else if (op === '$exists') {
      if (typeof arg !== 'boolean') fail('$exists takes true or false');
    } else if (op === '$type') {
      if (typeof arg !== 'string' || !types.has(arg)) fail(`$type takes one of ${[...types].join(', ')}`);
    } else if (op === '$size') {
      if (isOperatorObject(arg)) checkOperators(arg, at, issues);
      else if (typeof arg !== 'number') fail('$size takes a number or operators');
    } else if (op === '$elemMatch') {
      if (isOperatorObject(arg)) checkOperators(arg, at, issues);
      else checkCondition(arg, at, issues);
    } else if (op === '$not') {
      if (isOperatorObject(arg)) checkOperators(arg, at, issues);
    } else {
      fail(`unknown operator ${op}`);
    }
  }
}
