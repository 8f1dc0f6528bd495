// The engine runs unchanged in Node ≥18, browsers, Deno, Bun and edge workers: it may use only
// what all of them provide (WebCrypto, TextDecoder, atob, URLSearchParams) and has no runtime
// dependencies. Checked on the source, so a stray `Buffer` or `node:` import fails here first.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const coreDir = fileURLToPath(new URL('../src/core/', import.meta.url));
const sources = readdirSync(coreDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: f, text: readFileSync(coreDir + f, 'utf8') }));

const FORBIDDEN: [RegExp, string][] = [
  [/from\s+['"]node:/, 'Node built-in import'],
  [/\brequire\(/, 'CommonJS require'],
  [/\bprocess\./, 'process (Node only)'],
  [/\bBuffer\b/, 'Buffer (Node only)'],
  [/\b(window|document|navigator)\./, 'DOM global (browsers only)'],
  [/from\s+['"](?!\.\/)/, 'import of a package (the engine has no dependencies)'],
];

describe('sdk/core portability', () => {
  it('uses no runtime-specific API and imports nothing outside itself', () => {
    const problems: string[] = [];
    for (const { file, text } of sources) {
      const code = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const [pattern, what] of FORBIDDEN) if (pattern.test(code)) problems.push(`${file}: ${what}`);
    }
    expect(sources.length).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });

  it('the SDK package declares no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});
