// Rich text of contributions: the one tiptap extension list shared by the editor (browser) and by
// the server (validation and HTML rendering). No server-only imports here.
//
// Allowed: paragraphs, headings of level 2 and 3, bold, italic, links (http, https, mailto),
// bullet lists, ordered lists, list items, blockquotes, hard breaks, text. Nothing else.
import type { Extensions } from "@tiptap/core";
import { StarterKit } from "@tiptap/starter-kit";

/** Heading levels a contribution may use (the page title is the h1). */
export const RICH_TEXT_HEADING_LEVELS = [2, 3] as const;
export type RichTextHeadingLevel = (typeof RICH_TEXT_HEADING_LEVELS)[number];

/** The `rel` every link carries, in the editor and in the stored HTML. */
export const RICH_TEXT_LINK_REL = "noopener noreferrer nofollow";

/** Longest href accepted. */
export const RICH_TEXT_MAX_HREF_LENGTH = 2048;

// Any C0/C1 control character, or any kind of whitespace (browsers silently drop tabs and newlines
// inside URLs, so "java\tscript:" would become "javascript:"), or a backslash (which browsers treat
// as a slash in http URLs).
 
const FORBIDDEN_HREF_CHARS = /[\u0000-\u0020\u007f-\u009f\u00a0\u1680\u180e\u2000-\u200f\u2028\u2029\u202f\u205f\u2060\u3000\ufeff\\]/;

/**
 * Whether `href` may be the target of a link: an absolute http:, https: or mailto: URL.
 * Relative and protocol-relative addresses are refused, as is anything with control characters or
 * whitespace inside it. Callers should trim first (this function does not).
 */
export function isAllowedHref(href: unknown): href is string {
  if (typeof href !== "string") return false;
  if (href.length === 0 || href.length > RICH_TEXT_MAX_HREF_LENGTH) return false;
  if (FORBIDDEN_HREF_CHARS.test(href)) return false;
  const lower = href.toLowerCase();
  let rest: string;
  if (lower.startsWith("https://")) rest = href.slice(8);
  else if (lower.startsWith("http://")) rest = href.slice(7);
  else if (lower.startsWith("mailto:")) rest = href.slice(7);
  else return false;
  if (rest.length === 0) return false;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return false;
  }
  if (url.protocol === "mailto:") return url.pathname.length > 0;
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  return url.hostname.length > 0;
}

/**
 * The extension list. StarterKit 3 ships more than we allow; everything that adds a node or a
 * mark we do not want is switched off. Editor-only helpers that add no schema (undo/redo, list
 * keymap, drop cursor, gap cursor) stay on; they change nothing on the server.
 */
export const richTextExtensions: Extensions = [
  StarterKit.configure({
    code: false,
    codeBlock: false,
    strike: false,
    underline: false,
    horizontalRule: false,
    // Would append an empty paragraph after every trailing list or quote, and store it.
    trailingNode: false,
    heading: { levels: [...RICH_TEXT_HEADING_LEVELS] },
    link: {
      openOnClick: false,
      autolink: true,
      linkOnPaste: true,
      defaultProtocol: "https",
      // http, https and mailto are linkify's built-ins: nothing extra to register. The real limit
      // is isAllowedUri, which the Link extension consults when parsing, pasting, autolinking,
      // setting and rendering a link.
      protocols: [],
      isAllowedUri: (url) => isAllowedHref(typeof url === "string" ? url.trim() : url),
      HTMLAttributes: { rel: RICH_TEXT_LINK_REL, target: null, class: null },
    },
  }),
];
