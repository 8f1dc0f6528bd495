// A flag serves values of one type; every value written (default, forced, rollout, variation)
// is checked against it, with the path of the offending value.
import type { FlagRow } from './flag-store.ts';

export type ValueType = FlagRow['valueType'];

export function valueTypeError(valueType: ValueType, value: unknown): string | undefined {
  switch (valueType) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false (the flag is boolean)';
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string (the flag is a string flag)';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : 'must be a finite number (the flag is a number flag)';
    case 'json':
      return value === undefined ? 'is required (any JSON value)' : undefined;
  }
}
