/**
 * A large value sent to the browser as one JSON text instead of as turbo-stream's flattened values
 * (Remix's single fetch). turbo-stream looks every value and key up to share repeats: ~1.1 ms for
 * the statistics dashboard's ~3,000 figures, against ~0.3 ms for JSON.stringify and the one string
 * (docs/decisions/0013). Only for values JSON keeps as they are: strings, numbers, booleans, null,
 * arrays and plain objects (no Date, no undefined, no Map).
 */
declare const json: unique symbol;
export type JsonText<T> = string & { readonly [json]: T };

export function toJsonText<T>(value: T): JsonText<T> {
  return JSON.stringify(value) as JsonText<T>;
}

export function fromJsonText<T>(text: JsonText<T>): T {
  return JSON.parse(text) as T;
}
