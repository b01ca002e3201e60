import { describe, expect, it } from "vitest";
import { LOCALES, tFor } from "~/i18n/i18n";
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
