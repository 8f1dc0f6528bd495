// Named parameters for generated SQL: each value gets a fresh `@pN` name, so the SQL text never
// contains user input (event names, attribute values) and the order of use does not matter.
export class SqlParams {
  readonly values: Record<string, string | number>;
  private next = 0;

  constructor(base: Record<string, string | number> = {}) {
    this.values = { ...base };
  }

  /** Registers a value and returns its placeholder, e.g. `@p3`. */
  add(value: string | number): string {
    const name = `p${this.next++}`;
    this.values[name] = value;
    return `@${name}`;
  }
}
