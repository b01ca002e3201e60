/**
 * Lists (and other large values) that go to the browser as one JSON string rather than as objects.
 * Remix encodes loader data with turbo-stream, which visits every value of every object: ~10 µs a
 * row, a fifth of the review inbox's and the queue's time, for rows that are the same at every
 * request (kept answers, app/utils/kept.server.ts, shown as kept markup); 1.1 ms for the statistics
 * dashboard's figures. A string is copied whole (decision 0011, seventh pass; decision 0013).
 *
 * Packed once per object (kept rows are never changed) and unpacked once per packed object: on the
 * server for the rare render of their markup, in the browser for each load. Dates become ISO
 * strings on the way (`Unpacked`). Each quote of the string costs four bytes in the page (it is
 * escaped twice): pack what the page shows, no more.
 */
export interface Packed<T> {
  readonly json: string;
  /** Only the type: what `unpack` gives. */
  readonly rows?: T;
}

export type Unpacked<T> = T extends Date ? string : T extends readonly (infer U)[] ? Unpacked<U>[] : T extends object ? { [K in keyof T]: Unpacked<T[K]> } : T;

const packedRows = new WeakMap<object, Packed<unknown>>();
const unpackedRows = new WeakMap<object, unknown>();
/** Every Packed made here, so that its text can be used as it is (packedText). */
const made = new WeakSet<object>();

export function pack<T extends object>(rows: T): Packed<Unpacked<T>> {
  let packed = packedRows.get(rows);
  if (packed === undefined) {
    packed = { json: JSON.stringify(rows) };
    packedRows.set(rows, packed);
    made.add(packed);
  }
  return packed as Packed<Unpacked<T>>;
}

/**
 * JSON text made elsewhere, as it is: PostgreSQL's (json_build_object), for rows it writes whole
 * (feed cards, contributions/feeds.server.ts). Its type is the caller's word.
 */
export function packedJson<T>(json: string): Packed<T> {
  const packed = { json };
  made.add(packed);
  return packed;
}

/**
 * The text of a value made by pack or packedJson, or undefined for any other value: what a kept
 * markup's key digests (app/server/kept-markup.server.tsx) rather than the JSON of the JSON.
 */
export function packedText(value: unknown): string | undefined {
  return value !== null && typeof value === "object" && made.has(value) ? (value as Packed<unknown>).json : undefined;
}

/** Whether a packed list is empty, without unpacking it: an empty list packs as `[]` both ways. */
export function isEmptyList(packed: Packed<readonly unknown[]>): boolean {
  return packed.json === "[]";
}

export function unpack<T>(packed: Packed<T>): T {
  let rows = unpackedRows.get(packed);
  if (rows === undefined) {
    rows = JSON.parse(packed.json);
    unpackedRows.set(packed, rows as object);
  }
  return rows as T;
}
