import i18next, { type i18n, type TFunction } from "i18next";
import type { Locale } from "../../db/schema";
import { en } from "./en";
import { fr } from "./fr";

export const LOCALES: readonly Locale[] = ["fr", "en"];
export const DEFAULT_LOCALE: Locale = "fr";
/**
 * CLDR gives French a third plural form, "many", for round millions ("1 000 000 de photos"), and
 * i18next then looks for `key_many` with no fallback to `key_other`: the key itself would show.
 * Each `_other` message stands in for a `_many` one not written.
 */
function withManyForms<T extends object>(messages: T): T {
  return Object.fromEntries(
    Object.entries(messages).flatMap(([key, value]): [string, unknown][] => {
      if (typeof value !== "string") return [[key, withManyForms(value as object)]];
      const base = /^(.+)_other$/.exec(key)?.[1];
      return base && !(`${base}_many` in messages) ? [[key, value], [`${base}_many`, value]] : [[key, value]];
    }),
  ) as T;
}

export const resources = { fr: { translation: withManyForms(fr) }, en: { translation: withManyForms(en) } };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** A ready i18next instance for one locale (resources are bundled: init is synchronous). */
export function createI18n(locale: Locale): i18n {
  const instance = i18next.createInstance();
  void instance.init({
    lng: locale,
    fallbackLng: DEFAULT_LOCALE,
    resources,
    initAsync: false,
    interpolation: { escapeValue: false }, // React escapes
    returnNull: false,
    showSupportNotice: false,
  });
  return instance;
}

const shared = new Map<Locale, i18n>();
/**
 * The server's instance for a locale, made once: creating and initialising one per request cost
 * about 8 % of the server's CPU (docs/decisions/0011-speed-through-http.md). Sharing is safe
 * because nothing on the server changes its language (the layout's changeLanguage runs in an effect,
 * in the browser only).
 */
export function serverI18n(locale: Locale): i18n {
  let instance = shared.get(locale);
  if (!instance) {
    instance = withMessagesRemembered(createI18n(locale));
    shared.set(locale, instance);
  }
  return instance;
}

/**
 * Messages looked up once per locale, not on every render: each i18next call copies its options and
 * the instance's, then resolves and interpolates, about 10 % of the server's CPU on a table page
 * (docs/decisions/0011-speed-through-http.md). A message without values is remembered by its key;
 * one with plain values (numbers, strings, booleans: "3 photos", "par Jeanne") by its key and
 * values, up to MAX_REMEMBERED of them (then forgotten all at once). Anything else (dates, objects,
 * another language, namespace or key prefix) goes to i18next as before.
 */
const MAX_REMEMBERED = 10_000;
function withMessagesRemembered(instance: i18n): i18n {
  type Translate = (key: unknown, ...rest: unknown[]) => string;
  const getFixedT = instance.getFixedT.bind(instance) as unknown as (lng: unknown, ns: unknown, keyPrefix: unknown) => Translate;
  const remembered = new Map<string, string>();
  instance.getFixedT = ((lng: unknown, ns: unknown, keyPrefix: unknown) => {
    const t = getFixedT(lng, ns, keyPrefix);
    if ((lng && lng !== instance.language) || (ns && ns !== "translation") || keyPrefix) return t;
    const remembering: Translate = (key, ...rest) => {
      if (typeof key !== "string" || rest.length > 1) return t(key, ...rest);
      const values = rest[0];
      if (values !== undefined && !plainValues(values)) return t(key, values);
      const id = values === undefined ? key : `${key}\u0000${JSON.stringify(values)}`;
      let message = remembered.get(id);
      if (message === undefined) {
        message = values === undefined ? t(key) : t(key, values);
        if (remembered.size >= MAX_REMEMBERED) remembered.clear();
        remembered.set(id, message);
      }
      return message;
    };
    return Object.assign(remembering, t);
  }) as unknown as i18n["getFixedT"];
  return instance;
}

function plainValues(values: unknown): boolean {
  if (typeof values !== "object" || values === null || Object.getPrototypeOf(values) !== Object.prototype) return false;
  if ("returnObjects" in values) return false; // an object comes back, which its caller may change
  for (const value of Object.values(values)) {
    if (value !== null && typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return false;
  }
  return true;
}

/** A translate function for server code (mails, messages returned by actions). */
export function tFor(locale: Locale): TFunction {
  return serverI18n(locale).t;
}

/** The user's preference first, then the browser's Accept-Language, then French. */
export function pickLocale(preferred: string | null | undefined, acceptLanguage: string | null): Locale {
  if (isLocale(preferred)) return preferred;
  const wanted = (acceptLanguage ?? "")
    .split(",")
    .map((part) => {
      const [tag, q] = part.trim().split(";q=");
      return { lang: tag.toLowerCase().split("-")[0], q: q === undefined ? 1 : Number(q) };
    })
    .filter((x) => x.lang && !Number.isNaN(x.q))
    .sort((a, b) => b.q - a.q);
  return wanted.map((w) => w.lang).find(isLocale) ?? DEFAULT_LOCALE;
}
