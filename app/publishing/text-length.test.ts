import { describe, expect, it } from "vitest";
import { countGraphemes, linksOf, mastodonLength } from "./text-length";

describe("post lengths", () => {
  it("graphemes: combining accents and emoji sequences count once", () => {
    expect(countGraphemes("")).toBe(0);
    expect(countGraphemes("Cafe\u0301")).toBe(4);
    expect("Cafe\u0301".length).toBe(5);
    expect(countGraphemes("👨‍👩‍👧 🏳️‍🌈 👍🏿")).toBe(5);
  });

  it("Mastodon: a link counts 23 whatever its length, a remote mention only its user part", () => {
    const link = "https://www.example.org/actualites/2026/11/une-tres-longue-adresse-de-page";
    expect(mastodonLength(`Lire : ${link}`)).toBe("Lire : ".length + 23);
    expect(mastodonLength(`Lire : ${link}.`)).toBe("Lire : ".length + 23 + 1);
    expect(mastodonLength("https://a.fr", 30)).toBe(30);
    expect(mastodonLength("Merci @camille@framapiaf.org !")).toBe("Merci @camille !".length);
    expect(mastodonLength("Écrire à contact@example.org")).toBe(countGraphemes("Écrire à contact@example.org"));
    expect(mastodonLength("Fête 🎉 e\u0301te\u0301")).toBe(10);
  });

  it("finds links without their trailing punctuation or closing bracket", () => {
    expect(linksOf("(voir https://a.fr/x), puis https://b.fr/été… et ftp://c.fr")).toEqual([
      { index: 6, url: "https://a.fr/x" },
      { index: 28, url: "https://b.fr/été" },
    ]);
  });
});
