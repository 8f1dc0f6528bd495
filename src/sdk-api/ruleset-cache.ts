// One built ruleset per environment, kept in memory and rebuilt only after a change: serving it is
// a map lookup and a write of bytes already serialised, with a strong ETag computed once.
import { compile, type CompiledRuleset, type FeaturePayload, type RegexFactory } from '@flagstaff/sdk/core';
import { sha256 } from '../auth/secrets.ts';
import type { EnvironmentStore } from '../environments/environment-store.ts';
import { compilePayload } from '../flags/compile-flag.ts';
import type { FlagStore } from '../flags/flag-store.ts';
import type { Logger } from '../logger.ts';
import type { SegmentStore } from '../segments/segment-store.ts';
import { encryptString } from './encrypt-payload.ts';
import type { RulesetChanges } from './ruleset-changes.ts';

export interface ServedBody {
  /** The JSON, encoded once: answering with bytes skips re-encoding (and measuring) it per request. */
  body: Uint8Array<ArrayBuffer>;
  /** AES-encrypted features (only client keys get these); its patches need `?patches=2`. */
  encrypted: boolean;
  etag: string;
  /** The same ruleset as one Server-Sent Event, encoded once for every stream it goes to. */
  event: Uint8Array;
  /**
   * The change from the ruleset built before this one (revision `base`) as one `patch` event:
   * only the features that changed (null for removed ones; encrypted as one JSON object in the
   * encrypted body's patch). Absent when there is no earlier build, when saved groups changed, or
   * when the patch would not be smaller.
   */
  patch?: { base: number; event: Uint8Array };
}

/** The features of one ruleset as JSON, which the next build's patches are computed against. */
interface PatchBase {
  revision: number;
  /** Each feature's JSON. */
  featureJson: Map<string, string>;
  savedGroupsJson: string;
}

export interface BuiltRuleset extends PatchBase {
  environmentId: string;
  /** Every flag: what server keys get, the playground and remote evaluation evaluate. */
  payload: FeaturePayload;
  /** Every flag, plain: what server keys get. */
  plain: ServedBody;
  /**
   * What client keys get when the environment does not encrypt: only the flags available to them
   * (the same object as `plain` when that is every flag).
   */
  clientPlain: ServedBody;
  /** What client keys get when the environment encrypts its ruleset: their flags, encrypted. */
  encrypted: ServedBody | null;
  allowClientRuleset: boolean;
  /** The flags available to client keys: all their ruleset holds, all they may evaluate remotely. */
  clientFlags: ReadonlySet<string>;
  /** Client keys' ruleset as JSON, for the next build's patches of `clientPlain` and `encrypted`. */
  client: PatchBase;
  /** Compiled once, on first use, for remote evaluation and the playground. */
  compiled(): CompiledRuleset;
}

const encoder = new TextEncoder();

// JSON.stringify never emits a raw newline, so a payload fits one `data:` line.
const sseEvent = (revision: number, type: string, data: string) =>
  encoder.encode(`id: ${revision}\nevent: ${type}\ndata: ${data}\n\n`);

/**
 * What a stream resumed at the current revision (Last-Event-ID) gets instead of the ruleset: SDKs
 * count a stream as back when it delivers, and without it would keep polling until the next change.
 */
export const currentEvent = (revision: number) => sseEvent(revision, 'current', JSON.stringify({ revision }));

const served = (body: string, revision: number, encrypted = false): ServedBody => ({
  body: encoder.encode(body),
  encrypted,
  etag: `"${sha256(body).slice(0, 40)}"`,
  event: sseEvent(revision, 'ruleset', body),
});

/**
 * The features that changed from `before` to a ruleset with these features, as the inside of a
 * JSON object (null for removed ones), or undefined when only a whole ruleset will do: no earlier
 * build, or saved groups changed.
 */
function changedFeatures(before: PatchBase | undefined, after: PatchBase): string | undefined {
  if (!before || before.revision >= after.revision || before.savedGroupsJson !== after.savedGroupsJson)
    return;
  const changed: string[] = [];
  for (const [key, json] of after.featureJson) {
    if (before.featureJson.get(key) !== json) changed.push(`${JSON.stringify(key)}:${json}`);
  }
  for (const key of before.featureJson.keys()) {
    if (!after.featureJson.has(key)) changed.push(`${JSON.stringify(key)}:null`);
  }
  return changed.join(',');
}

/** The `patch` event with these fields (`"features"` or `"encryptedFeatures"`), when smaller than `whole`. */
function patchEvent(
  base: number,
  revision: number,
  fields: string,
  dateUpdated: string | undefined,
  whole: ServedBody,
) {
  const data = `{"base":${base},${fields},"dateUpdated":${JSON.stringify(dateUpdated ?? null)}}`;
  if (data.length < whole.body.length) whole.patch = { base, event: sseEvent(revision, 'patch', data) };
}

/**
 * A payload as plain bytes, with its patch from `before` (the previous build's same view) and the
 * JSON the next build's patch is computed against.
 */
function plainBody(
  payload: FeaturePayload,
  revision: number,
  before: PatchBase | undefined,
): { served: ServedBody; base: PatchBase } {
  const featureJson = new Map(
    Object.entries(payload.features ?? {}).map(([key, f]) => [key, JSON.stringify(f)]),
  );
  const savedGroupsJson = JSON.stringify(payload.savedGroups ?? null);
  // The same text as JSON.stringify(payload), from the features' JSON already made for patches.
  const { features: _features, ...rest } = payload;
  const featuresText = [...featureJson].map(([key, json]) => `${JSON.stringify(key)}:${json}`).join(',');
  const others = JSON.stringify(rest).slice(1, -1);
  const body = served(`{"features":{${featuresText}}${others && `,${others}`}}`, revision);
  const base = { revision, featureJson, savedGroupsJson };
  const changed = changedFeatures(before, base);
  if (changed !== undefined)
    patchEvent(before!.revision, revision, `"features":{${changed}}`, payload.dateUpdated, body);
  return { served: body, base };
}

export class RulesetCache {
  private readonly builds = new Map<string, Promise<BuiltRuleset>>();
  /** Builds that have finished and are still current, for callers that cannot wait. */
  private readonly ready = new Map<string, BuiltRuleset>();
  /** The newest finished build of each environment, current or not: what patches start from. */
  private readonly latest = new Map<string, BuiltRuleset>();

  constructor(
    private readonly deps: {
      flags: FlagStore;
      segments: SegmentStore;
      environments: EnvironmentStore;
      changes: RulesetChanges;
      logger: Logger;
      /** The regex engine of every evaluation on the server: a linear-time one (ReDoS). */
      regex: RegexFactory;
    },
  ) {
    // Dropping the entry is enough: the next request (or stream) builds the new ruleset.
    deps.changes.subscribe((environmentId) => {
      this.builds.delete(environmentId);
      this.ready.delete(environmentId);
    });
  }

  /** The regex engine the server evaluates conditions with (the playground's too). */
  get regex(): RegexFactory {
    return this.deps.regex;
  }

  /** The current ruleset if it is built already. */
  peek(environmentId: string): BuiltRuleset | undefined {
    return this.ready.get(environmentId);
  }

  get(environmentId: string): Promise<BuiltRuleset> {
    let build = this.builds.get(environmentId);
    if (!build) {
      build = this.build(environmentId);
      this.builds.set(environmentId, build);
      // A build that a change overtook while it ran is served to who waited, never kept.
      build.then(
        (built) => {
          if ((this.latest.get(environmentId)?.revision ?? -1) < built.revision)
            this.latest.set(environmentId, built);
          if (this.builds.get(environmentId) === build) this.ready.set(environmentId, built);
        },
        () => this.builds.delete(environmentId),
      );
    }
    return build;
  }

  private async build(environmentId: string): Promise<BuiltRuleset> {
    const { flags, segments, environments, logger, regex } = this.deps;
    const [env, entries, segmentList] = await Promise.all([
      environments.byId(environmentId),
      flags.servedIn(environmentId),
      segments.all(),
    ]);
    if (!env) throw new Error(`environment ${environmentId} vanished`);
    const times = entries.flatMap(({ flag, config }) => [
      flag.updatedAt.getTime(),
      config?.updatedAt.getTime() ?? 0,
    ]);
    const date = new Date(Math.max(env.updatedAt.getTime(), ...times));
    const payload = compilePayload(entries, segmentList, date);
    const { revision } = env;
    const before = this.latest.get(environmentId);
    const all = plainBody(payload, revision, before);
    // Client keys see only the flags available to them: their own payload (with only the id lists
    // their rules use), built here once per change, so that serving stays a lookup.
    const available = entries.filter(
      ({ flag }) => flag.availableToClientKeys ?? env.defaultAvailableToClientKeys,
    );
    const clientPayload =
      available.length === entries.length ? payload : compilePayload(available, segmentList, date);
    // Shared with server keys when they see the same, unless client streams hold a narrower view,
    // which their patches must start from.
    const sameBefore = !before || before.client.featureJson === before.featureJson;
    const client =
      clientPayload === payload && sameBefore ? all : plainBody(clientPayload, revision, before?.client);
    let encrypted: ServedBody | null = null;
    if (env.encryptionKey) {
      const key = env.encryptionKey;
      encrypted = served(
        JSON.stringify({
          encryptedFeatures: encryptString(JSON.stringify(clientPayload.features), key),
          ...(clientPayload.savedGroups
            ? { encryptedSavedGroups: encryptString(JSON.stringify(clientPayload.savedGroups), key) }
            : {}),
          dateUpdated: clientPayload.dateUpdated,
        }),
        revision,
        true,
      );
      // The same change, encrypted once like the whole ruleset, for clients that decrypt patches
      // (`?patches=2`).
      const changed = changedFeatures(before?.client, client.base);
      if (changed !== undefined)
        patchEvent(
          before!.client.revision,
          revision,
          `"encryptedFeatures":${JSON.stringify(encryptString(`{${changed}}`, key))}`,
          clientPayload.dateUpdated,
          encrypted,
        );
    }
    let compiled: CompiledRuleset | undefined;
    return {
      environmentId,
      ...all.base,
      payload,
      plain: all.served,
      clientPlain: client.served,
      encrypted,
      allowClientRuleset: env.allowClientRuleset,
      clientFlags: new Set(Object.keys(clientPayload.features ?? {})),
      client: client.base,
      compiled: () =>
        (compiled ??= compile(payload, {
          logger: (message, issue) => logger.warn({ environmentId, issue }, message),
          regex,
        })),
    };
  }
}
