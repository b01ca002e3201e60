import { describe, expect, it } from "vitest";
import { fold, highlight } from "./excerpt";

describe("search excerpts", () => {
  it("folds accents and case as the French search does", () => {
    expect(fold("Fête ÉTÉ Noël")).toBe("fete ete noel");
  });

  it("marks the words the stems start, whatever their accents", () => {
    expect(highlight("La Fête de la musique et les fêtes d'été", ["fet", "musiqu"])).toEqual([
      { text: "La ", hit: false },
      { text: "Fête", hit: true },
      { text: " de la ", hit: false },
      { text: "musique", hit: true },
      { text: " et les ", hit: false },
      { text: "fêtes", hit: true },
      { text: " d'été", hit: false },
    ]);
  });

  it("keeps a window around the first match with ellipses where it cut", () => {
    const words = Array.from({ length: 100 }, (_, i) => `mot${i}`);
    words[60] = "kermesse";
    const parts = highlight(words.join(" "), ["kermess"], 12);
    const text = parts.map((p) => p.text).join("");
    expect(text.startsWith("… ")).toBe(true);
    expect(text.endsWith(" …")).toBe(true);
    expect(parts.filter((p) => p.hit)).toEqual([{ text: "kermesse", hit: true }]);
    expect(text.split(" ").filter((w) => w.startsWith("mot") || w === "kermesse")).toHaveLength(12);
  });

  it("quotes what the author wrote, markup included, as text", () => {
    const parts = highlight("Attention <b>gras</b> et <script>x</script>", ["gras"]);
    expect(parts.map((p) => p.text).join("")).toBe("Attention <b>gras</b> et <script>x</script>");
    expect(parts.find((p) => p.hit)).toEqual({ text: "gras", hit: true });
  });

  it("starts at the beginning when nothing in the body matches (the title or tags did)", () => {
    const parts = highlight("un deux trois quatre cinq six", ["zzz"], 3);
    expect(parts).toEqual([{ text: "un deux trois …", hit: false }]);
  });
});

describe("search excerpts, edge cases", () => {
  it("finds words written with a separate accent or a ligature, and keeps the text as written", () => {
    const text = "Le cafe\u0301 de la Fe\u0302te, une ŒUVRE et un chef-d'œuvre";
    const parts = highlight(text, ["fet", "oeuvr"]);
    expect(parts.map((p) => p.text).join("")).toBe(text);
    expect(parts.filter((p) => p.hit).map((p) => p.text)).toEqual(["Fe\u0302te", "ŒUVRE", "œuvre"]);
  });

  it("matches the start of a word only, and treats stems as text, not as patterns", () => {
    expect(highlight("refête fête", ["fet"]).filter((p) => p.hit)).toEqual([{ text: "fête", hit: true }]);
    expect(highlight("axb", ["a.b"]).filter((p) => p.hit)).toEqual([]);
  });

  it("near the end of a long text, the window still holds as many words", () => {
    const words = Array.from({ length: 100 }, (_, i) => `mot${i}`);
    words[98] = "kermesse";
    const text = highlight(words.join(" "), ["kermess"], 12).map((p) => p.text).join("");
    expect(text.startsWith("… ")).toBe(true);
    expect(text.endsWith("mot99")).toBe(true);
    expect(text.split(" ").filter((w) => w.startsWith("mot") || w === "kermesse")).toHaveLength(12);
  });
});
