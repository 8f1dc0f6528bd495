// One built ruleset per environment, kept in memory and rebuilt only after a change: serving it is
// a map lookup and a write of bytes already serialised, with a strong ETag computed once.
import { compile, type CompiledRuleset, type FeaturePayload } from '@flagstaff/sdk/core';
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
  etag: string;
  /** The same ruleset as one Server-Sent Event, encoded once for every stream it goes to. */
  event: Uint8Array;
}

export interface BuiltRuleset {
  environmentId: string;
  revision: number;
  payload: FeaturePayload;
  /** What server keys (and client keys without encryption) get. */
  plain: ServedBody;
  /** What client keys get when the environment encrypts its ruleset. */
  encrypted: ServedBody | null;
  allowClientRuleset: boolean;
  /** Compiled once, on first use, for remote evaluation and the playground. */
  compiled(): CompiledRuleset;
}

const encoder = new TextEncoder();

const served = (body: string, revision: number): ServedBody => ({
  body: encoder.encode(body),
  etag: `"${sha256(body).slice(0, 40)}"`,
  // JSON.stringify never emits a raw newline, so the payload fits one `data:` line.
  event: encoder.encode(`id: ${revision}\nevent: ruleset\ndata: ${body}\n\n`),
});

export class RulesetCache {
  private readonly builds = new Map<string, Promise<BuiltRuleset>>();
  /** Builds that have finished and are still current, for callers that cannot wait. */
  private readonly ready = new Map<string, BuiltRuleset>();

  constructor(
    private readonly deps: {
      flags: FlagStore;
      segments: SegmentStore;
      environments: EnvironmentStore;
      changes: RulesetChanges;
      logger: Logger;
    },
  ) {
    // Dropping the entry is enough: the next request (or stream) builds the new ruleset.
    deps.changes.subscribe((environmentId) => {
      this.builds.delete(environmentId);
      this.ready.delete(environmentId);
    });
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
        (built) => this.builds.get(environmentId) === build && this.ready.set(environmentId, built),
        () => this.builds.delete(environmentId),
      );
    }
    return build;
  }

  private async build(environmentId: string): Promise<BuiltRuleset> {
    const { flags, segments, environments, logger } = this.deps;
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
    const payload = compilePayload(
      entries,
      segmentList,
      new Date(Math.max(env.updatedAt.getTime(), ...times)),
    );
    let encrypted: ServedBody | null = null;
    if (env.encryptionKey) {
      const key = env.encryptionKey;
      encrypted = served(
        JSON.stringify({
          encryptedFeatures: encryptString(JSON.stringify(payload.features), key),
          ...(payload.savedGroups
            ? { encryptedSavedGroups: encryptString(JSON.stringify(payload.savedGroups), key) }
            : {}),
          dateUpdated: payload.dateUpdated,
        }),
        env.revision,
      );
    }
    let compiled: CompiledRuleset | undefined;
    return {
      environmentId,
      revision: env.revision,
      payload,
      plain: served(JSON.stringify(payload), env.revision),
      encrypted,
      allowClientRuleset: env.allowClientRuleset,
      compiled: () =>
        (compiled ??= compile(payload, {
          logger: (message, issue) => logger.warn({ environmentId, issue }, message),
        })),
    };
  }
}
