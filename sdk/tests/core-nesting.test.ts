// Conditions nested without bound (issue 13): compiling, then evaluating, recursed once per level,
// so a deep enough condition was a stack overflow — or not, depending on how deep in its own stack
// the app happened to call. Beyond 256 levels the rule is now dropped and reported, the same way
// wherever it is compiled and evaluated from; nothing throws into the app.
import { describe, expect, it } from 'vitest';
import { compile, evalCondition, evaluate } from '@flagstaff/sdk/core';
import type { Condition, FeaturePayload } from '@flagstaff/sdk/core';

/** `{ $not: { $not: … { plan: 'pro' } } }`, `levels` times, built without recursion. */
function notChain(levels: number): Condition {
  let condition: Condition = { plan: 'pro' };
  for (let i = 0; i < levels; i++) condition = { $not: condition };
  return condition;
}
/** `{ plan: { $not: { $not: … { $eq: 'pro' } } } }`: the nesting inside an attribute's operators. */
function operatorChain(levels: number): Condition {
  let operators: Record<string, unknown> = { $eq: 'pro' };
  for (let i = 0; i < levels; i++) operators = { $not: operators };
  return { plan: operators };
}

const payloadWith = (condition: Condition): FeaturePayload => ({
  features: {
    deep: {
      defaultValue: 'default',
      rules: [
        { id: 'deep', condition, force: 'deep' },
        { id: 'next', condition: { plan: 'pro' }, force: 'next' },
      ],
    },
    other: { defaultValue: 1, rules: [{ condition: { plan: 'pro' }, force: 2 }] },
  },
});

describe('deeply nested conditions', () => {
  for (const [name, chain] of [
    ['$not at the top', notChain],
    ['$not inside an attribute', operatorChain],
  ] as const) {
    it(`drops a rule nested beyond 256 levels and reports it (${name})`, () => {
      for (const levels of [300, 3000, 100_000]) {
        const issues: string[] = [];
        const ruleset = compile(payloadWith(chain(levels)), { logger: (message) => issues.push(message) });
        expect(issues).toEqual(['features.deep.rules[0]: RangeError: condition nested too deep']);
        // The rest of the feature and the payload still work.
        const attributes = { plan: 'pro' };
        expect(evaluate(ruleset, 'deep', { attributes })).toMatchObject({ value: 'next', ruleId: 'next' });
        expect(evaluate(ruleset, 'other', { attributes }).value).toBe(2);
        expect(evalCondition(attributes, chain(levels))).toBe(false);
      }
    });

    it(`evaluates conditions up to 200 levels as before (${name})`, () => {
      for (const levels of [200, 201]) {
        const ruleset = compile(payloadWith(chain(levels)));
        expect(ruleset.issues).toEqual([]);
        // An even number of $not is the condition itself.
        const expected = levels % 2 === 0 ? 'deep' : 'next';
        expect(evaluate(ruleset, 'deep', { attributes: { plan: 'pro' } }).value).toBe(expected);
        expect(evalCondition({ plan: 'pro' }, chain(levels))).toBe(levels % 2 === 0);
      }
    });
  }

  it('counts the nesting of each condition afresh after a refused one', () => {
    compile(payloadWith(notChain(5000)));
    const ruleset = compile(payloadWith(notChain(250)));
    expect(ruleset.issues).toEqual([]);
    expect(evaluate(ruleset, 'deep', { attributes: { plan: 'pro' } }).value).toBe('deep');
  });

  it('gives the same answer however deep in its own stack the app evaluates', () => {
    // 2,000 levels used to compile, then match when evaluated from shallow in the stack and end in
    // reason ERROR (value null) from 8,000 calls deeper.
    const ruleset = compile(payloadWith(notChain(2000)));
    const nested = (depth: number): unknown =>
      depth === 0 ? evaluate(ruleset, 'deep', { attributes: { plan: 'pro' } }) : nested(depth - 1);
    expect(nested(0)).toMatchObject({ value: 'next', reason: 'TARGETING_MATCH' });
    expect(nested(8000)).toMatchObject({ value: 'next', reason: 'TARGETING_MATCH' });
  });
});
