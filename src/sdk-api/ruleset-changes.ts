// Tells the ruleset cache and the SSE streams that environments' rulesets changed. Services call
// `publish` after their transaction has committed, never before: a listener that rebuilds at once
// must see the new data.

export type RulesetListener = (environmentId: string) => void;

export class RulesetChanges {
  private readonly listeners = new Set<RulesetListener>();

  subscribe(listener: RulesetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(environmentIds: Iterable<string>): void {
    for (const id of environmentIds) for (const listener of this.listeners) listener(id);
  }
}
