// How each network counts a post's length. Not server-only: the queue's live counter uses it in
// the browser, and delivery uses it to refuse a text before sending it.

const segmenter = new Intl.Segmenter("fr", { granularity: "grapheme" });

/** User-perceived characters: an emoji with its modifiers, or a letter with its combining accents, counts once (Bluesky's rule). */
export function countGraphemes(text: string): number {
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

/** Links as Mastodon and Bluesky recognise them, trailing punctuation left out. */
export function linksOf(text: string): { index: number; url: string }[] {
  const links: { index: number; url: string }[] = [];
  for (const match of text.matchAll(/(^|[\s(«"'])(https?:\/\/[^\s<>"«»]+)/gu)) {
    let url = match[2].replace(/[.,;:!?…’'»]+$/u, "");
    if (url.endsWith(")") && !url.includes("(")) url = url.slice(0, -1);
    if (URL.canParse(url)) links.push({ index: match.index! + match[1].length, url });
  }
  return links;
}

/**
 * A status's length as Mastodon counts it (StatusLengthValidator): every link as
 * `charactersReservedPerUrl` characters whatever its length, a remote mention @user@domain as
 * @user, the rest in graphemes.
 */
export function mastodonLength(text: string, charactersReservedPerUrl = 23): number {
  let countable = "";
  let from = 0;
  for (const { index, url } of linksOf(text)) {
    countable += text.slice(from, index) + "x".repeat(charactersReservedPerUrl);
    from = index + url.length;
  }
  countable += text.slice(from);
  countable = countable.replace(/(^|[^\p{L}\p{N}_/])(@[a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/giu, "$1$2");
  return countGraphemes(countable);
}
