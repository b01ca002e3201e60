/**
 * Lists (and other large values) that go to the browser as one JSON string rather than as objects.
 * Remix encodes loader data with turbo-stream, which visits every value of every object: ~10 µs a
 * row, a fifth of the review inbox's and the queue's time, for rows that are the same at every
 * request (kept answers, app/utils/kept.server.ts, shown as kept markup); 1.1 ms for the statistics
 * dashboard's figures. A string is copied whole (decision 0011, seventh pass; decision 0013).
 *
 * Packed once per object (kept rows are never changed) and unpacked once per packed object: on the
 * server for the rare render of their markup, in the browser after a navigation inside the page (a
 * whole page sends the rows it shows as markup only: shownAsMarkup). Dates become ISO
 * strings on the way (`Unpacked`). Each quote of the string costs four bytes in the page (it is
 * escaped twice): pack what the page shows, no more.
 */
export interface Packed<T> {
  /** Absent only in the browser, for rows a whole page sent as markup only (shownAsMarkup). */
  readonly json?: string;
  /** Only the type: what `unpack` gives. */
  readonly rows?: T;
  /** Set by shownAsMarkup: all the page needs of those rows outside their markup. */
  readonly asMarkup?: { readonly empty: boolean };
}

export type Unpacked<T> = T extends Date ? string : T extends readonly (infer U)[] ? Unpacked<U>[] : T extends object ? { [K in keyof T]: Unpacked<T[K]> } : T;

const packedRows = new WeakMap<object, Packed<unknown>>();
const unpackedRows = new WeakMap<object, unknown>();
/** Every Packed made here, so that its text can be used as it is (packedText). */
const made = new WeakSet<object>();
/** The one twin of packed rows that shownAsMarkup gives whole pages (so its digest is made once). */
const markupTwins = new WeakMap<object, Packed<unknown>>();

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
  return packed.asMarkup ? packed.asMarkup.empty : packed.json === "[]";
}

/**
 * Packed rows that a page shows only inside KeptMarkup, as the loader gives them for this request.
 * In a whole page (HTML, `context.wholePage`) their markup is already there, so their text need not
 * go to the browser a second time, as data to hydrate with (it was 40–50 % of a list page: decision
 * 0011, tenth pass): the text stays on the server, where the markup is made (a property that is not
 * enumerable, which turbo-stream does not send), the browser gets `asMarkup` only, and KeptMarkup
 * keeps the server's markup as it is. A navigation inside the page (single fetch's data requests)
 * gets the text, and React renders the rows. So read them only inside KeptMarkup's children (and
 * with isEmptyList): `unpack` works on the server and fails in the browser, as the e2e tests would show.
 */
export function shownAsMarkup<T>(packed: Packed<T>, context: { wholePage?: boolean }): Packed<T> {
  if (!context.wholePage) return packed;
  let twin = markupTwins.get(packed);
  if (twin === undefined) {
    const json = packed.json ?? "";
    twin = Object.defineProperty({ asMarkup: { empty: json === "[]" } }, "json", { value: json, enumerable: false }) as Packed<unknown>;
    markupTwins.set(packed, twin);
    made.add(twin);
  }
  return twin as Packed<T>;
}

/** Whether any of `values` is packed rows that came to the browser as markup only (shownAsMarkup). */
export function cameAsMarkup(values: unknown): boolean {
  return (Array.isArray(values) ? values : [values]).some((value) => value !== null && typeof value === "object" && "asMarkup" in value && !("json" in value));
}

export function unpack<T>(packed: Packed<T>): T {
  let rows = unpackedRows.get(packed);
  if (rows === undefined) {
    if (packed.json === undefined) throw new Error("Rows sent as markup only cannot be unpacked (shownAsMarkup).");
    rows = JSON.parse(packed.json);
    unpackedRows.set(packed, rows as object);
  }
  return rows as T;
}
