import { createHash } from "node:crypto";
import type { i18n as I18n } from "i18next";
import { renderToString } from "react-dom/server";
import { I18nextProvider } from "react-i18next";
import { MarkupKeeperContext, type MarkupKeeper } from "~/components/kept-markup";
import { packedText } from "~/utils/packed";

/**
 * The most recently used markups, up to this many characters in all (a dashboard's is ~80 K, a
 * feed page's cards ~25 K, the queue's rows ~40 K): ~8 MB at most, for a few hundred pages.
 */
const MAX_KEPT_CHARACTERS = 4_000_000;
const kept = new Map<string, string>();
let keptCharacters = 0;

/**
 * Digests of the objects markups depend on, made once per object: a kept answer's rows
 * (app/utils/kept.server.ts) are the same object on every request that gets them, and are never
 * changed. Hashing a queue page's rows as JSON took ~0.1 ms a request. Packed rows (utils/packed.ts)
 * are digested as their text: the JSON of that text escaped its every quote again, 0.1 ms a search.
 */
const digests = new WeakMap<object, string>();
function digestOf(value: object): string {
  let digest = digests.get(value);
  if (digest === undefined) {
    const text = packedText(value);
    // Marked, so that packed rows and the same rows given as they are make different keys.
    digest = createHash("sha256").update(text === undefined ? JSON.stringify(value) : `packed\0${text}`).digest("base64");
    digests.set(value, digest);
  }
  return digest;
}

/**
 * The keeper of one request's render (entry.server.tsx): markup keyed by the language and each part
 * of `depends`, an object as a digest of its JSON (packed rows: of their text), any other value as
 * its JSON, so that any change of the figures is a new key (nothing to invalidate; an object's part
 * is digested once, so it must not change afterwards).
 * renderToString gives the markup React's streamed render gives for the same tree, which is what
 * the browser renders from the same rows after a navigation inside the page
 * (tests/integration/statistics/kept-markup.test.tsx compares the bytes).
 */
export function markupKeeper(i18n: I18n): MarkupKeeper {
  return (depends, children) => {
    // The parts' digests (or short values) joined: a second hash per request cost ~10 µs a markup.
    let key = i18n.language;
    for (const part of Array.isArray(depends) ? depends : [depends]) key += `\0${part !== null && typeof part === "object" ? digestOf(part) : JSON.stringify(part) ?? ""}`;
    let html = kept.get(key);
    if (html === undefined) {
      html = renderToString(
        <MarkupKeeperContext.Provider value={null}>
          <I18nextProvider i18n={i18n}>{children}</I18nextProvider>
        </MarkupKeeperContext.Provider>,
      );
      keptCharacters += html.length;
      for (const [oldest, markup] of kept) {
        if (keptCharacters <= MAX_KEPT_CHARACTERS) break;
        kept.delete(oldest);
        keptCharacters -= markup.length;
      }
    } else {
      kept.delete(key); // most recently used last
    }
    kept.set(key, html);
    return html;
  };
}
