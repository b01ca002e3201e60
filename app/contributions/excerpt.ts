/** Text cut into plain and highlighted parts, rendered as <span> and <mark> (never as HTML). */
export type Excerpt = { text: string; hit: boolean }[];

const WORD = /[\p{L}\p{N}]+/gu;
const ASCII = /^[\x00-\x7f]*$/;

/** Lower case without accents, as the `relais_french` search configuration sees words. */
export function fold(word: string): string {
  const lower = word.toLowerCase();
  // Most words are plain ASCII: skip the (costly) Unicode decomposition for them.
  return ASCII.test(lower) ? lower : lower.normalize("NFD").replace(/\p{M}/gu, "");
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

let accented: Map<string, string> | undefined;

/** For each unaccented letter, the accented Latin letters that fold to it ("e" → "éèêë…"). */
function accentedLetters(): Map<string, string> {
  if (accented) return accented;
  accented = new Map();
  for (const [from, to] of [[0xc0, 0x24f], [0x1e00, 0x1eff]]) {
    for (let code = from; code <= to; code++) {
      const ch = String.fromCharCode(code);
      const base = fold(ch);
      if (/^[a-z]$/.test(base) && ch.toLowerCase() === ch) accented.set(base, (accented.get(base) ?? "") + ch);
    }
  }
  return accented;
}

/**
 * A stem as a pattern that matches it however the text writes it: any case, with or without
 * accents (precomposed or as separate marks), "oe" and "ae" also as the ligatures œ and æ.
 */
function stemPattern(stem: string): string {
  const letters = accentedLetters();
  let out = "";
  for (let i = 0; i < stem.length; i++) {
    const pair = stem.slice(i, i + 2);
    if (pair === "oe" || pair === "ae") {
      out += `(?:${pair[0]}\\p{M}*${pair[1]}|${pair === "oe" ? "œ" : "æ"})\\p{M}*`;
      i++;
      continue;
    }
    const ch = stem[i];
    const variants = letters.get(ch);
    out += (variants ? `[${ch}${variants}]` : escapeRegExp(ch)) + "\\p{M}*";
  }
  return out;
}

/**
 * Where to cut `text` to keep `maxWords` words around the word at `hitAt` (a third before it), or
 * the first words when nothing matched: [from, to). Reads words only as far as the window needs.
 */
function wordWindow(text: string, hitAt: number, maxWords: number): [number, number] {
  const before = Math.floor(maxWords / 3);
  const starts: number[] = [];
  const ends: number[] = [];
  let hitWord = hitAt < 0 ? 0 : -1;
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m; m = WORD.exec(text)) {
    starts.push(m.index);
    ends.push(m.index + m[0].length);
    if (hitWord < 0 && m.index + m[0].length > hitAt) hitWord = starts.length - 1;
    // One word past the window is enough to know the text goes on after it.
    if (hitWord >= 0 && starts.length > Math.max(0, hitWord - before) + maxWords) break;
  }
  const count = starts.length;
  if (count <= maxWords) return [0, text.length];
  const startWord = Math.max(0, Math.min(Math.max(0, hitWord) - before, count - maxWords));
  const from = startWord === 0 ? 0 : starts[startWord];
  const to = startWord + maxWords >= count ? text.length : ends[startWord + maxWords - 1];
  return [from, to];
}

/**
 * Highlights, in a text, the words that the search stems (`stems`, from PostgreSQL's French
 * stemmer, unaccented) start; with `maxWords`, keeps a window of that many words around the first
 * match (or the beginning), with "…" where text was cut. Done here rather than with ts_headline,
 * which costs more than the search itself on a page of results. One highlighter per search: its
 * pattern, built once, serves every result and reads the text as written (nothing is folded).
 */
export function highlighter(stems: string[]): (text: string, maxWords?: number) => Excerpt {
  const words = stems.filter((s) => s.length > 0);
  const pattern = words.length
    ? new RegExp(`(?<![\\p{L}\\p{N}\\p{M}])(?:${words.map(stemPattern).join("|")})[\\p{L}\\p{N}\\p{M}]*`, "giu")
    : null;
  return (text, maxWords) => {
    let firstHit = -1;
    if (pattern) {
      pattern.lastIndex = 0;
      firstHit = pattern.exec(text)?.index ?? -1;
    }
    const [from, to] = maxWords === undefined ? [0, text.length] : wordWindow(text, firstHit, maxWords);

    const parts: Excerpt = [];
    const push = (piece: string, hit: boolean) => {
      if (!piece) return;
      const last = parts.at(-1);
      if (last && last.hit === hit) last.text += piece;
      else parts.push({ text: piece, hit });
    };
    if (from > 0) push("… ", false);
    let at = from;
    if (pattern && firstHit >= 0) {
      pattern.lastIndex = from;
      for (let m = pattern.exec(text); m && m.index + m[0].length <= to; m = pattern.exec(text)) {
        push(text.slice(at, m.index), false);
        push(m[0], true);
        at = m.index + m[0].length;
      }
    }
    push(text.slice(at, to), false);
    if (to < text.length) push(" …", false);
    return parts;
  };
}

/** `highlighter(stems)` applied to one text. */
export function highlight(text: string, stems: string[], maxWords?: number): Excerpt {
  return highlighter(stems)(text, maxWords);
}
