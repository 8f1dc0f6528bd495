// Regular expressions in linear time for every evaluation the server runs (issue 13, ReDoS): an
// editor's `$regex` is matched against attributes that any client key sends, and with a
// backtracking engine one request (`^(a+)+$` against 31 'a's and a '!') held the process for
// seconds. RE2 (re2js, a pure-JavaScript port) matches in time linear in the input. Browsers and
// apps keep native RegExp, the SDK's default: there a slow pattern only hurts the page running it.
//
// SDKs read a pattern with JavaScript's syntax (no flag, or `i`); RE2's differs in places, so a
// pattern is translated, and refused where the two would read it differently or RE2 cannot run it
// (backreferences, lookaround): when it is saved, with a 400 naming the field, and at evaluation,
// should older data hold one, it never matches. Differences that remain (docs/decisions/0012): an
// emoji in the attribute is one character here and two in browsers (`^.$`), and `i` folds a few
// more letters (ſ, K, Ω, Å, ẞ) than JavaScript's non-Unicode mode does.
import type { RegexFactory, RegexTester } from '@flagstaff/sdk/core';
import { RE2JS } from 're2js';

const hexCode = (n: number) => `\\x{${n.toString(16)}}`;
const range = ([a, b]: number[]) => (a === b ? hexCode(a!) : `${hexCode(a!)}-${hexCode(b!)}`);

// JavaScript's \s (white space and line terminators); RE2's is only [\t\n\f\r ].
const SPACES = [
  [0x9, 0xd],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const complement = (ranges: number[][]) => {
  const gaps: number[][] = [];
  let next = 0;
  for (const [a, b] of ranges) {
    if (a! > next) gaps.push([next, a! - 1]);
    next = b! + 1;
  }
  return [...gaps, [next, 0x10ffff]];
};
const SPACE = SPACES.map(range).join('');
const NOT_SPACE = complement(SPACES).map(range).join('');
// JavaScript's `.` without the s flag: anything but a line terminator (RE2's excludes only \n).
const DOT = `[^\\n\\r\\x{2028}\\x{2029}]`;
const ANY = '\\x{0}-\\x{10ffff}';

/** Escapes that mean the same in both syntaxes (\b and \B only outside a class). */
const SAME = new Set('dDwWtnvfr');
const ENGINE = 'the server matches patterns in linear time (RE2)';

class Refused extends Error {}

const isHex = (text: string, length: number) =>
  text.length === length && [...text].every((c) => /[0-9a-f]/i.test(c));

/** The RE2 form of the escape after the backslash at `i - 1`, and how many characters it takes. */
function escape(p: string, i: number, inClass: boolean): [string, number] {
  const c = p[i] ?? '';
  const after = p[i + 1] ?? '';
  if (SAME.has(c) || (!inClass && (c === 'b' || c === 'B'))) return ['\\' + c, 1];
  if (c === 's') return [inClass ? SPACE : `[${SPACE}]`, 1];
  if (c === 'S') return [inClass ? NOT_SPACE : `[${NOT_SPACE}]`, 1];
  if (c === 'b') return ['\\x{8}', 1]; // backspace, in a class
  if (c === '0' && !/[0-9]/.test(after)) return ['\\x{0}', 1];
  if (c === 'c' && /[a-z]/i.test(after)) return [hexCode(after.charCodeAt(0) % 32), 2];
  if (c === 'x' && isHex(p.slice(i + 1, i + 3), 2)) return [hexCode(parseInt(p.slice(i + 1, i + 3), 16)), 3];
  if (c === 'u' && isHex(p.slice(i + 1, i + 5), 4)) {
    const code = parseInt(p.slice(i + 1, i + 5), 16);
    if (code >= 0xd800 && code <= 0xdfff)
      throw new Refused(`\\u${p.slice(i + 1, i + 5)}: half a character (a surrogate) is not supported`);
    return [hexCode(code), 5];
  }
  if (c === '0') throw new Refused(`octal escapes (\\0${after}) are not supported: write \\xHH`);
  if (/[1-9k]/.test(c)) throw new Refused(`backreferences (\\${c}) are not supported: ${ENGINE}`);
  if (/[a-z]/i.test(c) || c === '')
    throw new Refused(`\\${c} is not supported: browsers read it as a plain "${c}", RE2 otherwise`);
  // Any other character escapes itself.
  const code = isSurrogate(p, i) ? astral(p, i, inClass) : p.charCodeAt(i);
  return [hexCode(code), code > 0xffff ? 2 : 1];
}

const isSurrogate = (p: string, i: number) => (p.charCodeAt(i) & 0xf800) === 0xd800;

/** A character beyond U+FFFF is two units to JavaScript, one to RE2: the same alone, not repeated. */
function astral(p: string, i: number, inClass: boolean): number {
  const code = p.codePointAt(i)!;
  const char = String.fromCodePoint(code);
  if (code <= 0xffff) throw new Refused('half a character (a lone surrogate) is not supported');
  if (inClass) throw new Refused(`${char} in a class: browsers read its two halves apart`);
  if (/[*+?{]/.test(p[i + 2] ?? '')) throw new Refused(`${char} repeated: browsers repeat its second half`);
  return code;
}

/**
 * Translates a pattern in JavaScript's syntax (as SDKs read it) into RE2's with the same meaning.
 * Throws `Refused` for what RE2 cannot run or would read otherwise.
 *
 * @example
 * toRe2('^v\\d+\\s'); // '^v\\d+[\\x{9}-\\x{d}…]'
 */
function toRe2(p: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '\\') {
      // JavaScript reads `[\s-z]` as three items, RE2 a range from the last of the inlined set.
      const set = inClass && /[dDwWsS]/.test(p[i + 1] ?? '');
      if (set && ((p[i + 2] === '-' && p[i + 3] !== ']') || /[^[^]-$|[^[]\^-$/.test(out)))
        throw new Refused(`a range cannot start or end at \\${p[i + 1]}: write the characters out`);
      const [re2, taken] = escape(p, i + 1, inClass);
      out += re2;
      i += taken;
    } else if (inClass) {
      if (isSurrogate(p, i)) astral(p, i, inClass);
      if (ch === ']') inClass = false;
      out += ch === '[' ? '\\[' : ch; // RE2 reads `[:alpha:]` in a class
    } else if (ch === '[') {
      // JavaScript's [] never matches and [^] matches anything; RE2 reads a leading ] literally.
      const negated = p[i + 1] === '^';
      if (p[i + (negated ? 2 : 1)] === ']') {
        out += negated ? `[${ANY}]` : `[^${ANY}]`;
        i += negated ? 2 : 1;
      } else {
        inClass = true;
        out += negated ? '[^' : '[';
        if (negated) i++;
      }
    } else if (ch === '.') {
      out += DOT;
    } else if (p.startsWith('(?', i) && /^(?:[=!]|<[=!])/.test(p.slice(i + 2, i + 4))) {
      const group = p.slice(i, p[i + 2] === '<' ? i + 4 : i + 3);
      throw new Refused(`lookahead and lookbehind (\`${group}\`) are not supported: ${ENGINE}`);
    } else if (p.startsWith('(?<', i)) {
      out += '(?P<'; // a named group
      i += 2;
    } else if (isSurrogate(p, i)) {
      astral(p, i, inClass);
      out += p.slice(i, i + 2);
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Compiles `pattern` for the server: refused (throws) unless JavaScript accepts it and RE2 can run
 * it with the same meaning.
 */
function compileLinear(pattern: string, flags: string): RE2JS {
  if (flags !== '' && flags !== 'i') throw new Refused(`flags '${flags}' are not supported`);
  new RegExp(pattern, flags); // what SDKs refuse, the server refuses too (compiling runs nothing)
  try {
    return RE2JS.compile(toRe2(pattern), flags ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    if (error instanceof Refused) throw error;
    throw new Refused(`${(error as Error).message.replace(/^error parsing regexp: /, '')} (${ENGINE})`);
  }
}

/**
 * Why the server would not run `pattern` (JavaScript syntax, as a `$regex` operand), or
 * `undefined` when it runs it with the meaning SDKs give it. For checks when a condition is saved.
 *
 * @example
 * linearRegexProblem('^(a+)+$'); // undefined: RE2 runs it in linear time
 * linearRegexProblem('(a)\\1'); // 'backreferences (\\1) are not supported: …'
 */
export function linearRegexProblem(pattern: string, flags = ''): string | undefined {
  try {
    compileLinear(pattern, flags);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The server's regex engine for `compile(payload, { regex })`: linear in the input, and an input
 * longer than `maxInputLength` characters (an array or object attribute, stringified) never
 * matches. A refused pattern throws when compiled, so its operator never matches; testing never
 * throws.
 *
 * @example
 * compile(payload, { regex: linearRegex(4096) });
 */
export function linearRegex(maxInputLength: number): RegexFactory {
  return (pattern, flags): RegexTester => {
    const re = compileLinear(pattern, flags);
    return {
      test(input) {
        if (input.length > maxInputLength) return false;
        try {
          return re.test(input);
        } catch {
          return false;
        }
      },
    };
  };
}
