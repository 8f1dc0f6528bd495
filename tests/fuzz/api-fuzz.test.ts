// Issue 13, point 7: a fuzz suite generated from the OpenAPI document. For every operation it sends
// valid-shaped bodies (from the schema) with mutated fields, malformed / truncated / oversized /
// deeply nested / unicode-heavy bodies, hostile path params, query strings and headers, with every
// kind of credential. Each answer must be < 500; every 4xx JSON body has the standard error shape;
// a refused request (4xx) writes nothing (the database's content is compared before and after).
// Seeded (FUZZ_SEED replays a run), bounded by FUZZ_REQUESTS and FUZZ_SECONDS; `npm run fuzz` is
// the long run.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { ErrorBody } from '../../src/http/error-schema.ts';
import { makeTestApp, type Caller, type TestApp } from '../helpers/test-app.ts';
import { experimentBody, seedExperimentWorld } from '../experiments/experiment-helpers.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261208);
const MAX_REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 4000);
const MAX_SECONDS = Number(process.env.FUZZ_SECONDS ?? (process.env.FUZZ_REQUESTS ? 3600 : 30));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
interface Operation {
  method: string;
  path: string;
  op: Json;
}
interface FuzzRequest {
  kind: string;
  method: string;
  path: string;
  caller: string;
  headers: Record<string, string>;
  raw?: string;
}

let t: TestApp;
let doc: Json;
const callers: Record<string, Caller> = {};
const pools = { key: [] as string[], id: [] as string[], environment: ['production', 'development'] };

beforeAll(async () => {
  t = await makeTestApp({ MAX_BODY_BYTES: 65_536 });
  await seedExperimentWorld(t);
  await t.request('POST', '/api/v1/segments', {
    as: t.admin,
    body: { key: 'beta', name: 'Beta', definition: { type: 'ids', attribute: 'id', ids: ['u1', 'u2'] } },
  });
  await t.request('POST', '/api/v1/flags', {
    as: t.admin,
    body: { key: 'dark-mode', valueType: 'boolean', defaultValue: false },
  });
  await t.request('POST', '/api/v1/experiments', { as: t.admin, body: experimentBody() });
  await t.request('POST', '/api/v1/experiments', {
    as: t.admin,
    body: experimentBody({ key: 'draft-test' }),
  });
  await t.request('POST', '/api/v1/experiments/checkout-test/start', { as: t.admin });
  for (const kind of ['client', 'server', 'admin'] as const)
    callers[`${kind}Key`] = (await t.sdkKey(kind)).caller;
  callers.devServerKey = (await t.sdkKey('server', 'development')).caller;
  callers.bootstrapAdmin = t.admin;
  for (const role of ['viewer', 'editor', 'releaser', 'admin'] as const) callers[role] = await t.signIn(role);
  callers.adminNoCsrf = await t.signIn('admin', { csrf: false });
  callers.none = { headers: {} };
  // Sacrificial items whose ids the fuzzer may use in paths (never the callers' own keys and users).
  const spare = await t.sdkKey('server');
  const users = await t.request('GET', '/api/v1/users', { as: t.admin });
  pools.id.push(
    spare.id,
    ...((users.json?.items ?? users.json ?? []) as Json[]).slice(0, 1).map((u: Json) => String(u.id)),
  );
  pools.key.push(
    'checkout',
    'dark-mode',
    'beta',
    'purchase',
    'revenue',
    'checkout-test',
    'draft-test',
    'production',
  );
  doc = (await t.request('GET', '/api/openapi.json')).json;
});

// ---- values -------------------------------------------------------------------------------

const nasty = [
  '',
  ' ',
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'hasOwnProperty',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '😀🚀👩‍👩‍👧‍👦',
  'مرحبا بالعالم',
  '\u202Eevil\u202C',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
  '../../etc/passwd',
  "' OR 1=1 --",
  '"; drop table flags; --',
  '${7*7}{{7*7}}',
  '<script>alert(1)</script>',
  '%00',
  '%',
  'NaN',
  '-0',
  '1e309',
  'true',
  'null',
  '\r\n\t',
];
const nastyString = fc.oneof(
  fc.constantFrom(...nasty),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: 1_000, max: 70_000 }).map((n) => 'é'.repeat(n)),
);
const weirdNumber = fc.constantFrom(
  -1,
  0,
  -0,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  Number.MAX_SAFE_INTEGER,
  1e-300,
);
const anyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  weirdNumber,
  nastyString,
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'x'), fc.integer(), { maxKeys: 2 }),
);

function deref(schema: Json): Json {
  let s = schema;
  for (let i = 0; s?.$ref && i < 20; i++) s = doc.components.schemas[String(s.$ref).split('/').pop()!];
  return s ?? {};
}

/** A valid-shaped value for a JSON schema (best effort: formats and patterns are approximated). */
function fromSchema(schema: Json, depth = 0): fc.Arbitrary<Json> {
  const s = deref(schema);
  if (depth > 6) return fc.constant(null);
  if (s.enum) return fc.constantFrom(...(s.enum as Json[]));
  if (s.const !== undefined) return fc.constant(s.const);
  const alternatives = (s.oneOf ?? s.anyOf) as Json[] | undefined;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => fromSchema(a, depth + 1)));
  if (s.allOf?.length) {
    return fc
      .tuple(...(s.allOf as Json[]).map((a) => fromSchema(a, depth + 1)))
      .map((parts) => Object.assign({}, ...parts.filter((p) => p && typeof p === 'object')));
  }
  const type = Array.isArray(s.type) ? s.type.find((x: string) => x !== 'null') : s.type;
  switch (type) {
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: s.minimum ?? 0, max: Math.min(s.maximum ?? 1000, 1_000_000) });
    case 'number':
      return fc.double({ min: s.minimum ?? 0, max: Math.min(s.maximum ?? 1, 1e6), noNaN: true });
    case 'string': {
      if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      if (s.format === 'email') return fc.constantFrom('a@example.com', 'fuzz@example.org');
      if (s.format === 'uri' || s.format === 'url') return fc.constant('https://example.com/hook');
      const min = s.minLength ?? 1;
      const max = Math.max(min, Math.min(s.maxLength ?? 16, 16));
      return fc
        .oneof(fc.constantFrom(...pools.key, 'fuzz-key', 'id'), fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/))
        .map((v) => (v.length < min ? v.padEnd(min, 'x') : v.slice(0, max)));
    }
    case 'array': {
      const prefix = s.prefixItems as Json[] | undefined;
      if (prefix) return fc.tuple(...prefix.map((p) => fromSchema(p, depth + 1)));
      return fc.array(fromSchema(s.items ?? {}, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3)),
      });
    }
    case 'object':
    default: {
      const properties = (s.properties ?? {}) as Record<string, Json>;
      const required = new Set<string>(s.required ?? []);
      const record: Record<string, fc.Arbitrary<Json>> = {};
      for (const [name, sub] of Object.entries(properties)) record[name] = fromSchema(sub, depth + 1);
      if (!Object.keys(record).length) return type === 'object' ? fc.constant({}) : anyJson;
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
    }
  }
}

/** A small seeded generator (mulberry32): mutations stay reproducible from the run's seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return (max: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return (((r ^ (r >>> 14)) >>> 0) % (max + 1)) as number;
  };
}

/** Mutates one place in a value: wrong type, removed, extra field, hostile string, huge array. */
function mutate(value: Json, next: (max: number) => number, depth = 0): Json {
  const pick = <T>(xs: T[]): T => xs[next(xs.length - 1)]!;
  const sample = <T>(a: fc.Arbitrary<T>): T => fc.sample(a, { seed: next(2 ** 30), numRuns: 1 })[0]!;
  if (value && typeof value === 'object' && depth < 5 && next(3) > 0) {
    const copy: Json = Array.isArray(value) ? [...value] : { ...value };
    const keys = Object.keys(copy);
    const action = next(4);
    if (action === 0 && !Array.isArray(copy))
      copy[pick(['__proto__', 'constructor', 'extra', '😀', ''])] = sample(anyJson);
    else if (action === 1 && keys.length) delete copy[pick(keys)];
    else if (action === 2 && Array.isArray(copy))
      return Array.from({ length: 100 + next(5000) }, () => copy[0] ?? 1);
    else if (keys.length) {
      const k = pick(keys);
      copy[k] = mutate(copy[k], next, depth + 1);
    }
    return copy;
  }
  return sample(anyJson);
}

function nested(depth: number, open: string, close: string, inner = '1') {
  return open.repeat(depth) + inner + close.repeat(depth);
}

/** A body for an operation: mostly JSON derived from its schema, some of it broken on purpose. */
interface FuzzBody {
  kind: string;
  raw?: string;
  contentType?: string;
}
function bodyFor(op: Json): fc.Arbitrary<FuzzBody> {
  const schema = op.requestBody?.content?.['application/json']?.schema;
  const valid = schema ? fromSchema(schema) : anyJson;
  return fc.oneof(
    { weight: 4, arbitrary: valid.map((v) => ({ kind: 'valid-shaped', raw: JSON.stringify(v) })) },
    {
      weight: 8,
      arbitrary: fc
        .tuple(valid, fc.integer())
        .map(([v, seed]) => ({ kind: 'mutated', raw: JSON.stringify(mutate(v, rng(seed))) ?? 'null' })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.nat())
        .map(([v, n]) => ({ kind: 'truncated', raw: truncate(JSON.stringify(v), n) })),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(1_000, 5_000, 100_000)
        .chain((d) =>
          fc.constantFrom(
            { kind: 'deep', raw: nested(d, '[', ']') },
            { kind: 'deep', raw: nested(d, '{"a":', '}') },
            { kind: 'deep', raw: `{"key":${nested(d, '[', ']')}}` },
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.constant({ kind: 'oversized', raw: JSON.stringify({ key: 'x'.repeat(2_000_000) }) }),
    },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc
          .uint8Array({ maxLength: 200 })
          .map((b) => ({ kind: 'garbage', raw: Buffer.from(b).toString('latin1') })),
        fc
          .constantFrom(
            '',
            'null',
            '[]',
            '"x"',
            '1',
            'NaN',
            '{"a":1,"a":2}',
            '\uFEFF{}',
            '{"__proto__":{"admin":true}}',
          )
          .map((raw) => ({
            kind: 'garbage',
            raw,
          })),
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          valid,
          fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data',
            'application/json; charset=latin1',
            'application/jsonx',
            '',
          ),
        )
        .map(([v, ct]) => ({ kind: 'content-type', raw: JSON.stringify(v), contentType: ct })),
    },
    { weight: 1, arbitrary: fc.constant<FuzzBody>({ kind: 'no-body' }) },
  );
}

function truncate(text: string, n: number) {
  return text.slice(0, text.length > 1 ? n % (text.length - 1) : 0);
}

/** encodeURIComponent that lets lone surrogates through as the (invalid) UTF-8 bytes a client could send. */
function encode(text: string) {
  return text
    .replace(/[\uD800-\uDFFF]/g, '\uFFFD')
    .split('\uFFFD')
    .map(encodeURIComponent)
    .join('%ED%A0%80');
}

const pathValue = (name: string) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        ...(name === 'id' ? pools.id : name === 'environment' ? pools.environment : pools.key),
      ),
    },
    { weight: 3, arbitrary: nastyString.map((s) => encode(s.slice(0, 3000))) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'constructor',
        '__proto__',
        '%00',
        '%E0%A4%A',
        '..',
        '%2e%2e',
        'x'.repeat(10_000),
        'unknown-item',
      ),
    },
  );

const headerValue = nastyString.map((s) =>
  // What a client can put in a header at all: Latin-1, no CR/LF/NUL.
  s.replace(/[^\u0020-\u007e\u00a0-\u00ff]/g, '?').slice(0, 20_000),
);

const authHeader = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Basic YWRtaW46YWRtaW4=',
    'bearer x',
    'Bearer fs_server_0000',
    'Token abc',
    'Bearer  ' + 'A'.repeat(100_000),
  ),
  headerValue.map((v) => `Bearer ${v}`),
);

function requestArb(op: Operation): fc.Arbitrary<FuzzRequest> {
  const params = (op.op.parameters ?? []) as Json[];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  return fc
    .record({
      caller: fc.constantFrom(...Object.keys(callers)),
      path: fc.tuple(...pathParams.map((p) => pathValue(p.name).map((v) => [p.name as string, v] as const))),
      query: fc.array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(...queryParams.map((p) => p.name as string), 'extra'),
            fc.constant('__proto__'),
          ),
          fc.oneof(
            fc.constantFrom(
              '1',
              '-1',
              '0',
              'true',
              '',
              '9'.repeat(400),
              '2026-01-01T00:00:00Z',
              'not-a-date',
            ),
            headerValue,
          ),
        ),
        { maxLength: queryParams.length ? 4 : 1 },
      ),
      body:
        op.op.requestBody || ['POST', 'PUT', 'PATCH'].includes(op.method)
          ? bodyFor(op.op)
          : fc.constant<FuzzBody>({ kind: 'no-body' }),
      auth: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: authHeader }),
      extra: fc.dictionary(
        fc.constantFrom(
          'if-match',
          'if-none-match',
          'x-csrf-token',
          'cookie',
          'origin',
          'x-request-id',
          'accept',
          'last-event-id',
        ),
        headerValue,
        { maxKeys: 2 },
      ),
    })
    .map(({ caller, path, query, body, auth, extra }) => {
      let url = op.path;
      for (const [name, value] of path) url = url.replace(`{${name}}`, value);
      if (query.length) url += '?' + query.map(([k, v]) => `${k}=${encode(v)}`).join('&');
      const headers: Record<string, string> = { ...callers[caller]!.headers, ...extra };
      if (auth !== undefined) headers.authorization = auth;
      if (body.raw !== undefined) headers['content-type'] = body.contentType ?? 'application/json';
      return {
        kind: body.kind,
        method: op.method,
        path: url,
        caller,
        headers,
        ...(body.raw !== undefined ? { raw: body.raw } : {}),
      };
    });
}

// ---- the database's content ---------------------------------------------------------------

/**
 * Bookkeeping a request may write even when refused: authenticating with an API key stamps its
 * `last_used_at` (at most once per interval, src/auth/authenticate.ts). Everything else counts.
 */
const BOOKKEEPING: Record<string, string[]> = { api_keys: ['last_used_at'] };

/** A hash of every table's rows, per table. */
function checksum(): Record<string, string> {
  const sums: Record<string, string> = {};
  const tables = t.db.sqlite
    .prepare("select name from sqlite_master where type = 'table' order by name")
    .all() as { name: string }[];
  for (const { name } of tables) {
    const hash = createHash('sha256');
    const skip = BOOKKEEPING[name] ?? [];
    const columns = (
      t.db.sqlite.prepare(`select name from pragma_table_info(?)`).all(name) as { name: string }[]
    )
      .map((c) => c.name)
      .filter((c) => !skip.includes(c));
    const select = `select ${columns.map((c) => `"${c}"`).join(', ')} from "${name}"`;
    for (const row of t.db.sqlite.prepare(select).raw().iterate())
      hash.update(
        JSON.stringify(row, (_k, v) =>
          typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('hex') : v,
        ),
      );
    sums[name] = hash.digest('hex');
  }
  return sums;
}
const totalChanges = () => (t.db.sqlite.prepare('select total_changes() as n').get() as { n: number }).n;

// ---- the run ------------------------------------------------------------------------------

it(
  'every route survives hostile input: no 5xx, standard errors, refused requests write nothing',
  async () => {
    const operations: Operation[] = [];
    for (const [path, ops] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(ops))
        operations.push({ method: method.toUpperCase(), path, op });
    }
    expect(operations.length).toBeGreaterThan(40);
    console.log(
      `fuzz: seed ${SEED} (FUZZ_SEED to replay), up to ${MAX_REQUESTS} requests or ${MAX_SECONDS}s, ${operations.length} operations`,
    );

    const perOperation = new Map(operations.map((o) => [o, requestArb(o)]));
    const arbitrary = fc.constantFrom(...operations).chain((o) => perOperation.get(o)!);
    const findings: string[] = [];
    const counts = new Map<string, number>();
    const deadline = Date.now() + MAX_SECONDS * 1000;
    let sent = 0;
    const slow = new Map<string, number>();
    const signedOut = new Set<string>();
    let lastTotal = totalChanges();
    let lastSum = checksum();

    outer: for (let chunk = 0; ; chunk++) {
      for (const request of fc.sample(arbitrary, { seed: (SEED * 7919 + chunk) | 0, numRuns: 100 })) {
        if (sent >= MAX_REQUESTS || Date.now() > deadline) break outer;
        if (totalChanges() !== lastTotal) {
          lastTotal = totalChanges();
          lastSum = checksum();
        }
        const before = lastSum;
        const started = performance.now();
        const response = await t.app.request(request.path, {
          method: request.method,
          headers: request.headers,
          ...(request.raw !== undefined && request.method !== 'GET' ? { body: request.raw } : {}),
        });
        const streaming = response.headers.get('content-type')?.startsWith('text/event-stream');
        const text = streaming ? (await response.body?.cancel(), '') : await response.text();
        sent++;
        const took = performance.now() - started;
        slow.set(
          request.kind + ' ' + request.method,
          (slow.get(request.kind + ' ' + request.method) ?? 0) + took,
        );
        const route = `${request.method} ${operationPath(operations, request)} ${request.kind}`;
        counts.set(route, (counts.get(route) ?? 0) + 1);

        const repro = () =>
          `${request.method} ${request.path.slice(0, 300)} as ${request.caller} [${request.kind}] headers=${JSON.stringify(request.headers).slice(0, 300)} body=${JSON.stringify(request.raw?.slice(0, 500))}`;
        if (response.status >= 500) findings.push(`${response.status} ${text.slice(0, 300)} ← ${repro()}`);
        if (
          response.status >= 400 &&
          response.status !== 405 &&
          response.headers.get('content-type')?.includes('json')
        ) {
          let json: Json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          if (!ErrorBody.safeParse(json).success)
            findings.push(`non-standard error ${response.status} ${text.slice(0, 200)} ← ${repro()}`);
        } else if (response.status >= 400) {
          findings.push(
            `error without JSON body ${response.status} ${response.headers.get('content-type')} ← ${repro()}`,
          );
        }
        const now = totalChanges();
        if (now !== lastTotal) {
          lastTotal = now;
          lastSum = checksum();
          const changed = Object.keys(lastSum).filter((name) => lastSum[name] !== before[name]);
          if (response.status >= 400 && changed.length)
            findings.push(`refused request wrote to ${changed.join(', ')} (${response.status}) ← ${repro()}`);
        }
        // A session that signed itself out is replaced (once the fuzzer's own failed sign-ins no
        // longer hold the login rate limit), so the run keeps all its credentials.
        if (request.path === '/api/v1/auth/logout' && response.status < 300 && request.headers.cookie) {
          signedOut.add(request.caller);
        }
      }
      for (const name of signedOut) {
        const role = name === 'adminNoCsrf' ? 'admin' : name;
        if (!['viewer', 'editor', 'releaser', 'admin'].includes(role)) continue;
        try {
          callers[name] = await t.signIn(role as 'admin', { csrf: name !== 'adminNoCsrf' });
          signedOut.delete(name);
        } catch {
          // rate limited: try again after the next chunk
        }
      }
    }

    const byKind = new Map<string, number>();
    const byRoute = new Map<string, number>();
    for (const [route, n] of counts) {
      const [method, path, kind] = route.split(' ');
      byKind.set(kind!, (byKind.get(kind!) ?? 0) + n);
      byRoute.set(`${method} ${path}`, (byRoute.get(`${method} ${path}`) ?? 0) + n);
    }
    console.log(
      `fuzz: ${sent} requests (seed ${SEED}); by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    );
    console.log(`fuzz: by route: ${[...byRoute].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    if (process.env.FUZZ_PROFILE) console.log([...slow].sort((a, b) => b[1] - a[1]).slice(0, 12));
    const unique = [...new Set(findings)];
    if (unique.length) console.log(`fuzz: ${unique.length} findings:\n${unique.slice(0, 50).join('\n')}`);
    expect(unique).toEqual([]);
    // Every operation was exercised (unless a very short run, FUZZ_REQUESTS, made that unlikely).
    if (sent >= 20 * operations.length) expect(byRoute.size).toBe(operations.length);
  },
  (MAX_SECONDS + 30) * 1000,
);

function operationPath(operations: Operation[], request: FuzzRequest) {
  const bare = request.path.split('?')[0]!;
  const segments = bare.split('/');
  const match = operations.find(
    (o) =>
      o.method === request.method &&
      o.path.split('/').length === segments.length &&
      o.path.split('/').every((s, i) => s.startsWith('{') || s === segments[i]),
  );
  return match?.path ?? bare;
}
