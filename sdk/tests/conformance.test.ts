// The GrowthBook SDK conformance suite (spec 0.8), run against our engine. The cases file is shared
// data outside the repository (../shared/conformance from the repo root); it is read, never copied.
// Every case of every in-scope section runs as its own test, and a final check proves that the
// number of cases run per section equals the number the file holds.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chooseVariation,
  compile,
  contextualBandits,
  createStickyBucketSession,
  decrypt,
  evalCondition,
  evaluate,
  getBucketRanges,
  getEqualWeights,
  hash,
  InMemoryStickyBucketService,
  inNamespace,
  runExperiment,
} from '@flagstaff/sdk/core';
import type {
  Evaluation,
  EvaluationReason,
  ExperimentDefinition,
  FeaturePayload,
  StickyAssignmentsDocument,
} from '@flagstaff/sdk/core';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const casesPath = resolve(repoRoot, '../shared/conformance/growthbook-sdk-cases.json');
type Case = unknown[];
const cases = JSON.parse(readFileSync(casesPath, 'utf8')) as Record<string, Case[]>;

const SECTIONS = [
  'evalCondition',
  'hash',
  'getBucketRange',
  'chooseVariation',
  'inNamespace',
  'getEqualWeights',
  'feature',
  'run',
  'decrypt',
  'stickyBucket',
] as const;
type Section = (typeof SECTIONS)[number];

const ran: Record<string, number> = {};
const passed: Record<string, number> = {};

/** Registers one test per case of a section, counting runs and passes. */
function section(
  name: Section,
  label: (c: Case, i: number) => string,
  body: (c: Case) => void | Promise<void>,
): void {
  describe(name, () => {
    const list = cases[name] ?? [];
    list.forEach((c, i) => {
      it(`#${i} ${label(c, i)}`, async () => {
        ran[name] = (ran[name] ?? 0) + 1;
        await body(c);
        passed[name] = (passed[name] ?? 0) + 1;
      });
    });
  });
}

type Ctx = {
  attributes?: Record<string, unknown>;
  features?: FeaturePayload['features'];
  savedGroups?: Record<string, unknown[]>;
  contextualBandits?: FeaturePayload['contextualBandits'];
  forcedVariations?: Record<string, number>;
  enabled?: boolean;
  qaMode?: boolean;
  url?: string;
};

const compileCtx = (ctx: Ctx) =>
  compile(
    {
      features: ctx.features ?? {},
      savedGroups: ctx.savedGroups,
      contextualBandits: ctx.contextualBandits,
    },
    { contextualBandits },
  );

// The GrowthBook FeatureResult our Evaluation stands for, and the reasons each source may carry.
function asFeatureResult(e: Evaluation): Record<string, unknown> {
  const out: Record<string, unknown> = {
    value: e.value,
    on: e.on,
    off: e.off,
    source: e.source,
    ruleId: e.ruleId ?? '',
  };
  if (e.experiment) out.experiment = e.experiment;
  if (e.experimentResult) out.experimentResult = e.experimentResult;
  return out;
}
const REASONS: Record<string, EvaluationReason[]> = {
  unknownFeature: ['FLAG_NOT_FOUND'],
  defaultValue: ['DEFAULT', 'DISABLED'],
  force: ['TARGETING_MATCH', 'SPLIT'],
  experiment: ['SPLIT', 'OVERRIDE'],
  override: ['OVERRIDE'],
  prerequisite: ['PREREQUISITE_FAILED'],
  cyclicPrerequisite: ['CYCLIC_PREREQUISITE'],
};
function checkContract(e: Evaluation): void {
  expect(REASONS[e.source ?? '']).toContain(e.reason);
  const r = e.experimentResult;
  expect(e.exposure !== undefined).toBe(r !== undefined && r.inExperiment && r.hashUsed);
  if (e.exposure && r) {
    expect(e.exposure).toMatchObject({
      variation: r.key,
      variationId: r.variationId,
      hashAttribute: r.hashAttribute,
    });
  }
}

section(
  'evalCondition',
  (c) => String(c[0]),
  ([, condition, attributes, expected, savedGroups]) => {
    expect(
      evalCondition(
        attributes as Record<string, unknown>,
        condition as Record<string, unknown>,
        savedGroups as Record<string, unknown[]> | undefined,
      ),
    ).toBe(expected);
  },
);

section(
  'hash',
  (c) => `${JSON.stringify(c[0])} ${JSON.stringify(c[1])} v${String(c[2])}`,
  ([seed, value, version, expected]) => {
    expect(hash(seed as string, value as string, version as number)).toBe(expected);
  },
);

section(
  'getBucketRange',
  (c) => String(c[0]),
  ([, args, expected]) => {
    const [n, coverage, weights] = args as [number, number, number[] | null];
    const got = getBucketRanges(n, coverage, weights);
    const want = expected as [number, number][];
    expect(got.length).toBe(want.length);
    got.forEach((r, i) => {
      expect(r[0]).toBeCloseTo(want[i][0], 9);
      expect(r[1]).toBeCloseTo(want[i][1], 9);
    });
  },
);

section(
  'chooseVariation',
  (c) => String(c[0]),
  ([, n, ranges, expected]) => {
    expect(chooseVariation(n as number, ranges as [number, number][])).toBe(expected);
  },
);

section(
  'inNamespace',
  (c) => String(c[0]),
  ([, id, namespace, expected]) => {
    expect(inNamespace(id as string, namespace as [string, number, number])).toBe(expected);
  },
);

section(
  'getEqualWeights',
  (c) => `n=${String(c[0])}`,
  ([n, expected]) => {
    const got = getEqualWeights(n as number);
    const want = expected as number[];
    expect(got.length).toBe(want.length);
    got.forEach((w, i) => expect(w).toBeCloseTo(want[i], 6));
  },
);

section(
  'feature',
  (c) => String(c[0]),
  ([, ctx, key, expected]) => {
    const c = ctx as Ctx;
    const e = evaluate(compileCtx(c), key as string, {
      attributes: c.attributes ?? {},
      forcedVariations: c.forcedVariations,
    });
    expect(asFeatureResult(e)).toEqual(expected);
    checkContract(e);
  },
);

section(
  'run',
  (c) => String(c[0]),
  ([, ctx, experiment, value, inExperiment, hashUsed]) => {
    const c = ctx as Ctx;
    const res = runExperiment(
      experiment as ExperimentDefinition,
      {
        attributes: c.attributes ?? {},
        forcedVariations: c.forcedVariations,
        enabled: c.enabled,
        qaMode: c.qaMode,
        url: c.url,
      },
      compileCtx(c),
    );
    expect({ value: res.value, inExperiment: res.inExperiment, hashUsed: res.hashUsed }).toEqual({
      value,
      inExperiment,
      hashUsed,
    });
  },
);

section(
  'decrypt',
  (c) => String(c[0]),
  async ([, encrypted, key, expected]) => {
    expect(await decrypt(encrypted as string, key as string)).toBe(expected);
  },
);

section(
  'stickyBucket',
  (c) => String(c[0]),
  async ([, ctx, storedDocs, key, expectedResult, expectedDocs]) => {
    const c = ctx as Ctx;
    const ruleset = compileCtx(c);
    // The full path a server takes: an async store, preloading, synchronous evaluation, flush.
    const service = new InMemoryStickyBucketService();
    for (const doc of storedDocs as StickyAssignmentsDocument[]) await service.saveAssignments(doc);
    const attributes = c.attributes ?? {};
    const session = await createStickyBucketSession(service, ruleset, attributes);
    const e = evaluate(ruleset, key as string, { attributes, ...session.context });
    expect(e.experimentResult ?? null).toEqual(expectedResult);
    expect(session.context.stickyBucketAssignments).toEqual(expectedDocs);
    await session.flush();
    const stored = Object.fromEntries(
      service.all().map((d) => [`${d.attributeName}||${d.attributeValue}`, d]),
    );
    expect(stored).toMatchObject(expectedDocs as Record<string, unknown>);
    checkContract(e);
  },
);

describe('coverage of the suite', () => {
  it('runs every case of every in-scope section (and the file has them)', () => {
    for (const name of SECTIONS) {
      expect(Array.isArray(cases[name]), `section ${name} missing from the cases file`).toBe(true);
      expect(cases[name].length).toBeGreaterThan(0);
      expect(ran[name] ?? 0, `cases run in ${name}`).toBe(cases[name].length);
    }
  });
});

afterAll(() => {
  const lines = SECTIONS.map(
    (name) =>
      `  ${name.padEnd(16)} ${String(passed[name] ?? 0).padStart(4)}/${String(cases[name]?.length ?? 0)} passed`,
  );
  const outOfScope = Object.keys(cases).filter(
    (k) => k !== 'specVersion' && !(SECTIONS as readonly string[]).includes(k),
  );
  console.log(
    `GrowthBook SDK conformance (spec ${String(cases.specVersion)}):\n${lines.join('\n')}\n  out of scope, not run: ${outOfScope.join(', ')}`,
  );
});
