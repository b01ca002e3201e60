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

/**
 * Highlights, in `text`, the words that the search stems (`stems`, from PostgreSQL's French
 * stemmer, unaccented) start; with `maxWords`, keeps a window of that many words around the first
 * match (or the beginning), with "…" where text was cut. Done here rather than with ts_headline,
 * which costs more than the search itself on a page of results.
 */
export function highlight(text: string, stems: string[], maxWords?: number): Excerpt {
  const shortest = Math.min(...stems.map((s) => s.length));
  const hits = (word: string) => {
    if (stems.length === 0 || word.length < shortest) return false;
    const folded = fold(word);
    return stems.some((s) => folded.startsWith(s));
  };
  const words = [...text.matchAll(WORD)].map((m) => ({ start: m.index!, end: m.index! + m[0].length, hit: hits(m[0]) }));
  let from = 0;
  let to = text.length;
  if (maxWords !== undefined && words.length > maxWords) {
    const first = Math.max(0, words.findIndex((w) => w.hit));
    const startWord = Math.max(0, Math.min(first - Math.floor(maxWords / 3), words.length - maxWords));
    from = startWord === 0 ? 0 : words[startWord].start;
    to = startWord + maxWords >= words.length ? text.length : words[startWord + maxWords - 1].end;
  }
  const parts: Excerpt = [];
  const push = (piece: string, hit: boolean) => {
    if (!piece) return;
    const last = parts.at(-1);
    if (last && last.hit === hit) last.text += piece;
    else parts.push({ text: piece, hit });
  };
  if (from > 0) push("… ", false);
  let at = from;
  for (const w of words) {
    if (w.start < from || w.end > to) continue;
    if (!w.hit) continue;
    push(text.slice(at, w.start), false);
    push(text.slice(w.start, w.end), true);
    at = w.end;
  }
  push(text.slice(at, to), false);
  if (to < text.length) push(" …", false);
  return parts;
}
