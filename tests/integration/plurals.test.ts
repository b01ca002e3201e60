import { describe, expect, it } from "vitest";
import { createI18n, LOCALES, serverI18n, tFor } from "~/i18n/i18n";
import { en } from "~/i18n/en";
import { fr } from "~/i18n/fr";

/** Every key with plural forms (`x_one`, `x_other`…), without its suffix. */
function pluralKeys(messages: object, prefix = ""): string[] {
  return [
    ...new Set(
      Object.entries(messages).flatMap(([k, v]) =>
        typeof v === "string" ? (/_(one|other)$/.test(k) ? [`${prefix}${k.replace(/_(one|other)$/, "")}`] : []) : pluralKeys(v, `${prefix}${k}.`),
      ),
    ),
  ];
}

describe("plurals through i18next's rules", () => {
  it("has a message for every count, a million included (French's 'many' form)", () => {
    const keys = pluralKeys(fr);
    expect(keys.length).toBeGreaterThan(5);
    for (const locale of LOCALES) {
      const t = tFor(locale);
      for (const key of keys) {
        for (const count of [0, 1, 2, 21, 1_000_000, 2_000_000]) {
          // A message missing for this count's form: i18next answers with the key itself.
          expect(t(key, { count, positions: "1", n: 1 }), `${locale} ${key} ${count}`).not.toBe(key);
        }
      }
    }
    const t = tFor("fr");
    expect(t("contributions.photoCount", { count: 1_000_000 })).toBe("1000000 photos");
    expect(t("contributions.photoCount", { count: 0 })).toBe("0 photo");
    expect(t("comments.count", { count: 2 })).toBe("2 commentaires");
    expect(t("nav.notificationsUnread", { count: 1 })).toBe("1 notification non lue");
    expect(t("nav.notificationsUnread", { count: 3 })).toBe("3 notifications non lues");
  });
});

/** Every key of a message tree, dotted. */
function allKeys(messages: object, prefix = ""): string[] {
  return Object.entries(messages).flatMap(([k, v]) => (typeof v === "string" ? [`${prefix}${k}`] : allKeys(v, `${prefix}${k}.`)));
}

describe("the server's remembered messages", () => {
  it("answers every key as i18next does, twice (from memory the second time), and still interpolates", () => {
    for (const locale of LOCALES) {
      const plainI18n = createI18n(locale);
      const remembered = serverI18n(locale).getFixedT(null, "translation");
      const keys = allKeys(locale === "fr" ? fr : en);
      expect(keys.length).toBeGreaterThan(500);
      for (const round of [1, 2]) {
        for (const key of keys) expect(remembered(key), `${locale} ${key} (${round})`).toBe(plainI18n.t(key));
      }
      // With values: remembered by key and values, so each count and name gets its own message.
      for (const round of [1, 2]) {
        for (const count of [0, 1, 3, 4, 1_000_000]) {
          expect(remembered("contributions.photoCount", { count }), `${locale} ${count} (${round})`).toBe(plainI18n.t("contributions.photoCount", { count }));
        }
        for (const who of ["Jeanne", "Ali"]) {
          expect(remembered("statistics.by", { who, department: "Culture" })).toBe(plainI18n.t("statistics.by", { who, department: "Culture" }));
        }
      }
      expect(remembered("contributions.photoCount", { count: 4 })).not.toBe(remembered("contributions.photoCount", { count: 3 }));
      expect(remembered("statistics.by", { who: "Ali", department: "Culture" })).toContain("Ali");
      // Values that are not plain (a date) go to i18next each time.
      const when = new Date("2026-03-14T10:00:00Z");
      expect(remembered("statistics.by", { who: when, department: "Culture" })).toBe(plainI18n.t("statistics.by", { who: when, department: "Culture" }));
    }
    // Another language asked of an instance goes to i18next.
    expect(serverI18n("fr").getFixedT("en", "translation")("nav.feed")).toBe(createI18n("en").t("nav.feed"));
  });
});
