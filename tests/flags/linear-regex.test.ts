// The server's regex engine (src/sdk-api/linear-regex.ts): RE2 in linear time, reading patterns
// with the meaning SDKs' native RegExp gives them, or refusing them.
import { compile, evalCondition, evaluate } from '@flagstaff/sdk/core';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { linearRegex, linearRegexProblem } from '../../src/sdk-api/linear-regex.ts';

const regex = linearRegex(10_000);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cases = JSON.parse(
  readFileSync(resolve(repoRoot, '../shared/conformance/growthbook-sdk-cases.json'), 'utf8'),
) as { evalCondition: [string, unknown, unknown, boolean, unknown?][] };

/** What the pattern does in a browser, and on the server ('refused' when it throws). */
function both(pattern: string, input: string, flags = '') {
  let native: boolean | 'refused';
  let linear: boolean | 'refused';
  try {
    native = new RegExp(pattern, flags).test(input);
  } catch {
    native = 'refused';
  }
  try {
    linear = regex(pattern, flags).test(input);
  } catch {
    linear = 'refused';
  }
  return { native, linear };
}

describe('the GrowthBook conformance cases, with the server’s engine', () => {
  it('all pass (every $regex and $regexi case among them)', () => {
    let withRegex = 0;
    for (const [name, condition, attributes, expected, savedGroups] of cases.evalCondition) {
      if (JSON.stringify(condition).includes('$regex')) withRegex++;
      const got = evalCondition(
        attributes as Record<string, unknown>,
        condition as Record<string, unknown>,
        savedGroups as Record<string, unknown[]> | undefined,
        undefined,
        regex,
      );
      expect(got, name).toBe(expected);
    }
    expect(withRegex).toBeGreaterThanOrEqual(19);
  });
});

describe('linearRegex', () => {
  it('runs a catastrophic pattern in linear time', () => {
    const started = performance.now();
    expect(regex('^(a+)+$', '').test('a'.repeat(9_999) + '!')).toBe(false);
    expect(regex('(x+x+)+y', '').test('x'.repeat(9_999))).toBe(false);
    expect(regex('^(a|aa)+$', 'i').test('A'.repeat(9_999))).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000); // the native engine would never finish
  });

  it('reads JavaScript syntax as browsers do', () => {
    const agree: [string, string][] = [
      ['\\s', '\u00a0'], // JavaScript's \s has Unicode spaces, RE2's has not
      ['[^\\s]', '\u00a0'],
      ['[^\\S]', '\u2028'],
      ['[\\s\\S]', '\n'],
      ['^.$', '\r'], // `.` stops at every line terminator
      ['^.$', '\u2029'],
      ['[]a]', 'a]'], // [] never matches
      ['[^]a', '\na'], // [^] matches anything
      ['[[:alpha:]]', '[:]'], // no POSIX classes
      ['[\\b]', '\b'],
      ['\\bfoo\\b', 'a foo.'],
      ['\\cJ', '\n'],
      ['\\u00e9', 'é'],
      ['\\x41', 'A'],
      ['\\0', '\0'],
      ['\\/x\\-', '/x-'],
      ['[\\w.-]+@', 'a.b-c@'],
      ['a{', 'a{'],
      ['a{,5}', 'a{,5}'],
      ['(?<year>\\d{4})-', '2024-'],
      ['(?:a|b)*?c', 'abc'],
      ['', 'anything'],
    ];
    for (const [pattern, input] of agree) {
      const { native, linear } = both(pattern, input);
      expect(linear, `${pattern} on ${JSON.stringify(input)}`).toBe(native);
    }
    expect(both('(MOBILE|TABLET)', 'android mobile', 'i')).toEqual({ native: true, linear: true });
  });

  it('refuses what RE2 cannot run or would read otherwise, saying why', () => {
    const refused: [string, RegExp][] = [
      ['(a)\\1', /^backreferences \(\\1\)/],
      ['(?<n>a)\\k<n>', /^backreferences \(\\k\)/],
      ['(?=a)', /^lookahead and lookbehind \(`\(\?=`\)/],
      ['(?<!a)b', /^lookahead and lookbehind \(`\(\?<!`\)/],
      ['\\p{L}', /^\\p is not supported: browsers read it as a plain "p"/],
      ['\\x{41}', /^\\x is not supported/],
      ['\\01', /^octal escapes/],
      ['[\\s-\\uffff]', /^a range cannot start or end at \\s/],
      ['[\\u0000-\\s]', /^a range cannot start or end at \\s/],
      ['a{2000}', /invalid repeat count/],
      ['(?i)a', /Invalid group/], // JavaScript refuses it: so does the server
    ];
    for (const [pattern, message] of refused) {
      expect(linearRegexProblem(pattern), pattern).toMatch(message);
      expect(() => regex(pattern, ''), pattern).toThrow();
    }
    expect(linearRegexProblem('^(a+)+$')).toBeUndefined();
  });

  it('never matches an input longer than its limit (stringified arrays)', () => {
    const short = linearRegex(8);
    expect(short('a', '').test('aaaaaaaa')).toBe(true);
    expect(short('a', '').test('aaaaaaaaa')).toBe(false);
  });

  it('agrees with the native engine on random patterns, or refuses them', () => {
    // Small random patterns over a syntax-heavy alphabet, on short inputs the native engine
    // finishes: every pattern the server runs must answer as a browser does.
    const atoms = [
      'a',
      'b',
      '.',
      '\\s',
      '\\S',
      '\\d',
      '\\w',
      '\\b',
      '[ab]',
      '[^a]',
      '[\\s-]',
      '-',
      ' ',
      '\u00a0',
      '\n',
    ];
    const ops = ['', '', '*', '+', '?', '{1,2}', '*?'];
    const inputs = ['', 'a', 'ab', 'ba b', 'a\u00a0b', 'a\nb', '1-2', 'aab ', '\u2028a', 'b a-'];
    let seed = 42;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 8) % n;
    let compared = 0;
    for (let round = 0; round < 400; round++) {
      let pattern = next(3) === 0 ? '^' : '';
      for (let k = 1 + next(4); k > 0; k--) {
        const part = atoms[next(atoms.length)]! + ops[next(ops.length)]!;
        pattern += next(5) === 0 ? `(${part}|${atoms[next(atoms.length)]})` : part;
      }
      if (next(3) === 0) pattern += '$';
      const flags = next(4) === 0 ? 'i' : '';
      for (const input of inputs) {
        const { native, linear } = both(pattern, input, flags);
        if (linear === 'refused') continue;
        compared++;
        expect(linear, `/${pattern}/${flags} on ${JSON.stringify(input)}`).toBe(native);
      }
    }
    expect(compared).toBeGreaterThan(3000);
  });
});

describe('compile with the server’s engine', () => {
  it('drops a refused pattern from older data: never matches, reported, never throws', () => {
    const issues: string[] = [];
    const ruleset = compile(
      {
        features: {
          f: {
            defaultValue: 'off',
            rules: [
              { condition: { name: { $regex: '(a)\\1' } }, force: 'backreference' },
              { condition: { name: { $regexi: '^A+$' } }, force: 'on' },
            ],
          },
        },
      },
      { regex, logger: (message) => issues.push(message) },
    );
    expect(evaluate(ruleset, 'f', { attributes: { name: 'aa' } }).value).toBe('on');
    expect(evaluate(ruleset, 'f', { attributes: { name: 'b' } }).value).toBe('off');
    expect(issues).toEqual([expect.stringMatching(/^features\.f\.rules\[0\]: \$regex: .*backreferences/)]);
  });
});
