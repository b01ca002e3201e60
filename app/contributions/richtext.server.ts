// Server side of contributions' rich text: validate the editor's tiptap JSON, render it once to
// sanitised HTML and plain text. Called when a contribution is saved; pages only ever show the
// stored HTML, never tiptap JSON.
import { getSchema, type JSONContent } from "@tiptap/core";
import { DOMSerializer, type Node as PMNode, type Schema } from "@tiptap/pm/model";
import { Window } from "happy-dom";
import sanitizeHtml from "sanitize-html";
import { withoutNul } from "~/utils/forms";
import { RICH_TEXT_HEADING_LEVELS, RICH_TEXT_LINK_REL, isAllowedHref, richTextExtensions } from "./richtext";

export type RichTextResult = { ok: true; json: JSONContent; html: string; text: string } | { ok: false; error: string };

/** Deepest nesting accepted (the doc itself is level 1; a list item in a list in a doc is 3). */
export const RICH_TEXT_MAX_DEPTH = 20;
/** Most characters of text accepted. */
export const RICH_TEXT_MAX_TEXT_LENGTH = 100_000;
/** Most nodes accepted (bounds the work done on documents made of empty paragraphs or breaks). */
export const RICH_TEXT_MAX_NODES = 20_000;
/** Longest JSON string accepted before parsing. */
export const RICH_TEXT_MAX_JSON_LENGTH = 1_000_000;

const MAX_TITLE_LENGTH = 500;
const ORDERED_LIST_TYPES = new Set(["1", "a", "A", "i", "I"]);

const messages = {
  unreadable: "Le texte n'a pas pu être lu (format invalide).",
  notADoc: "Le texte n'a pas pu être lu (un document est attendu).",
  structure: "Le texte n'a pas une structure valide.",
  empty: "Le texte est vide.",
  tooLong: "Le texte est trop long (100 000 caractères au maximum).",
  tooDeep: `Le texte est trop imbriqué (listes ou citations sur plus de ${RICH_TEXT_MAX_DEPTH} niveaux).`,
  tooManyNodes: "Le texte contient trop d'éléments (paragraphes, listes, sauts de ligne).",
  node: (name: string) => `Le texte contient un élément non autorisé (${name}).`,
  mark: (name: string) => `Le texte contient une mise en forme non autorisée (${name}).`,
  attribute: (name: string) => `Le texte contient un attribut non autorisé (${name}).`,
  headingLevel: "Seuls les titres de section et les sous-titres sont autorisés (niveaux 2 et 3).",
  link: "Un lien a une adresse non autorisée : seules les adresses complètes commençant par http://, https:// ou mailto: sont acceptées.",
  internal: "Le texte n'a pas pu être mis en forme. Réessayez ou simplifiez la mise en forme.",
} as const;

class RichTextError extends Error {}

/* ------------------------------------------------------------------------------------------- */
/* Lazily built, once per process: the schema, the DOM serializer and one happy-dom document.   */

type Renderer = { schema: Schema; serializer: DOMSerializer; document: Document };
let schemaCache: Schema | null = null;
let rendererCache: Renderer | null = null;

function richTextSchema(): Schema {
  return (schemaCache ??= getSchema(richTextExtensions));
}

function renderer(): Renderer {
  if (rendererCache) return rendererCache;
  const schema = richTextSchema();
  // Same settings as @tiptap/html's server entry, but one window for the life of the process
  // instead of a new one (and a new schema) per call. Nothing is ever attached to this document:
  // each call serialises into a fresh detached <div>.
  const window = new Window({
    settings: {
      disableJavaScriptEvaluation: true,
      disableJavaScriptFileLoading: true,
      disableCSSFileLoading: true,
      disableIframePageLoading: true,
      disableComputedStyleRendering: true,
    },
  });
  rendererCache = {
    schema,
    serializer: DOMSerializer.fromSchema(schema),
    document: window.document as unknown as Document,
  };
  return rendererCache;
}

/** Serialise a validated document with the schema's own renderHTML (what generateHTML does). */
function toHTML(doc: PMNode): string {
  const { serializer, document } = renderer();
  const wrap = document.createElement("div");
  serializer.serializeFragment(doc.content, { document }, wrap);
  return wrap.innerHTML;
}

/* ------------------------------------------------------------------------------------------- */
/* Sanitising: the last word on what HTML is stored, whatever the validation let through.       */

const ALLOWED_TAGS = ["p", "h2", "h3", "strong", "em", "a", "ul", "ol", "li", "blockquote", "br"];

const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: { a: ["href", "rel"], ol: ["start"] },
  allowedClasses: {},
  allowedStyles: {},
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  allowVulnerableTags: false,
  disallowedTagsMode: "discard",
  // Tags whose content is dropped along with them (other disallowed tags keep their text).
  nonTextTags: ["script", "style", "textarea", "option", "noscript", "iframe", "object", "embed", "template", "svg", "math", "title"],
  enforceHtmlBoundary: false,
  transformTags: {
    a: (_tagName, attribs): sanitizeHtml.Tag => {
      const href = typeof attribs.href === "string" ? attribs.href.trim() : "";
      // A link whose address is not allowed loses its tag (a span is not allowed) but keeps its text.
      if (!isAllowedHref(href)) return { tagName: "span", attribs: {} };
      return { tagName: "a", attribs: { href, rel: RICH_TEXT_LINK_REL } };
    },
    ol: (_tagName, attribs): sanitizeHtml.Tag => {
      const start = attribs.start;
      const keep = typeof start === "string" && /^\d{1,6}$/.test(start) && start !== "1";
      return { tagName: "ol", attribs: keep ? { start } : {} };
    },
  },
};

/**
 * Sanitise rendered rich text: only p, h2, h3, strong, em, a (href, rel), ul, ol (start), li,
 * blockquote and br survive; every link gets rel="noopener noreferrer nofollow"; links to anything
 * but absolute http:, https: or mailto: addresses are unwrapped to their text.
 */
export function sanitizeRichTextHtml(html: string): string {
  return sanitizeHtml(html, SANITIZE_OPTIONS);
}

// After sanitize-html every "<" in text is escaped, so each "<...>" left is a real tag: check that
// each is one we allow, with only the attributes we allow. Belt and braces: should this ever fail,
// the contribution is refused rather than stored.
const TAG_PATTERN = /<\/?([a-zA-Z0-9]+)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*\/?>/g;
const ATTRIBUTE_PATTERN = /\s+([^\s=>/]+)(?:="([^"]*)")?/g;

function decodeAttribute(value: string): string {
  return value.replace(/&(amp|quot|lt|gt);/g, (_, entity: string) => ({ amp: "&", quot: '"', lt: "<", gt: ">" })[entity] ?? "");
}

function isSafeHtml(html: string): boolean {
  const stripped = html.replace(TAG_PATTERN, (_whole, tag: string, attributes: string) => {
    const name = tag.toLowerCase();
    if (!ALLOWED_TAGS.includes(name)) return "\u0000";
    for (const match of attributes.matchAll(ATTRIBUTE_PATTERN)) {
      const attribute = match[1].toLowerCase();
      const value = match[2] ?? "";
      if (name === "a" && attribute === "rel") continue;
      if (name === "a" && attribute === "href" && isAllowedHref(decodeAttribute(value))) continue;
      if (name === "ol" && attribute === "start" && /^\d+$/.test(value)) continue;
      return "\u0000";
    }
    return "";
  });
  return !stripped.includes("<") && !stripped.includes(">") && !stripped.includes("\u0000");
}

/* ------------------------------------------------------------------------------------------- */
/* Validation of the JSON, before ProseMirror sees it.                                           */

type Counters = { nodes: number; textLength: number };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A user-supplied name, made safe and short enough to quote in a message. */
function label(name: unknown): string {
  if (typeof name !== "string") return "inconnu";
  const clean = name.replace(/[^\w:-]/g, "").slice(0, 40);
  return clean.length > 0 ? clean : "inconnu";
}

function attributesOf(raw: Record<string, unknown>): Record<string, unknown> {
  const attrs = raw.attrs;
  if (attrs === undefined || attrs === null) return {};
  if (!isPlainObject(attrs)) throw new RichTextError(messages.structure);
  return attrs;
}

function checkDeclared(attrs: Record<string, unknown>, declared: Record<string, unknown> | undefined) {
  for (const key of Object.keys(attrs)) {
    if (!declared || !Object.prototype.hasOwnProperty.call(declared, key)) throw new RichTextError(messages.attribute(label(key)));
  }
}

type MarkJSON = { type: string; attrs?: Record<string, unknown> };

function normalizeMark(raw: unknown, schema: Schema): MarkJSON {
  if (!isPlainObject(raw) || typeof raw.type !== "string") throw new RichTextError(messages.structure);
  const markType = Object.prototype.hasOwnProperty.call(schema.marks, raw.type) ? schema.marks[raw.type] : undefined;
  if (!markType) throw new RichTextError(messages.mark(label(raw.type)));
  const attrs = attributesOf(raw);
  checkDeclared(attrs, markType.spec.attrs);
  if (markType.name !== "link") return { type: markType.name };

  const href = typeof attrs.href === "string" ? attrs.href.trim() : attrs.href;
  if (!isAllowedHref(href)) throw new RichTextError(messages.link);
  const title = attrs.title;
  if (title !== undefined && title !== null && (typeof title !== "string" || title.length > MAX_TITLE_LENGTH)) {
    throw new RichTextError(messages.structure);
  }
  // target, rel and class are declared by the Link extension (a pasted link may carry them) but are
  // not ours to choose: they are reset here and again when sanitising.
  return {
    type: "link",
    attrs: { href, target: null, rel: RICH_TEXT_LINK_REL, class: null, title: typeof title === "string" && title.length > 0 ? title : null },
  };
}

function normalizeNode(raw: unknown, depth: number, schema: Schema, counters: Counters): JSONContent {
  if (!isPlainObject(raw) || typeof raw.type !== "string") {
    throw new RichTextError(depth === 1 ? messages.notADoc : messages.structure);
  }
  if (depth === 1 && raw.type !== "doc") throw new RichTextError(messages.notADoc);
  if (depth > 1 && raw.type === "doc") throw new RichTextError(messages.structure);
  const nodeType = Object.prototype.hasOwnProperty.call(schema.nodes, raw.type) ? schema.nodes[raw.type] : undefined;
  if (!nodeType) throw new RichTextError(messages.node(label(raw.type)));
  if (depth > RICH_TEXT_MAX_DEPTH) throw new RichTextError(messages.tooDeep);
  if (++counters.nodes > RICH_TEXT_MAX_NODES) throw new RichTextError(messages.tooManyNodes);

  const out: JSONContent = { type: nodeType.name };

  const attrs = attributesOf(raw);
  checkDeclared(attrs, nodeType.spec.attrs);
  if (nodeType.name === "heading") {
    if (!(RICH_TEXT_HEADING_LEVELS as readonly unknown[]).includes(attrs.level)) throw new RichTextError(messages.headingLevel);
    out.attrs = { level: attrs.level };
  } else if (nodeType.name === "orderedList") {
    const start = attrs.start ?? 1;
    const type = attrs.type ?? null;
    if (typeof start !== "number" || !Number.isInteger(start) || start < 0 || start > 999_999) throw new RichTextError(messages.structure);
    if (type !== null && (typeof type !== "string" || !ORDERED_LIST_TYPES.has(type))) throw new RichTextError(messages.structure);
    out.attrs = { start, type };
  }

  if (raw.marks !== undefined && raw.marks !== null) {
    if (!Array.isArray(raw.marks)) throw new RichTextError(messages.structure);
    if (raw.marks.length > 0) out.marks = raw.marks.map((mark) => normalizeMark(mark, schema));
  }

  if (nodeType.isText) {
    if (typeof raw.text !== "string" || raw.text.length === 0) throw new RichTextError(messages.structure);
    if (raw.content !== undefined) throw new RichTextError(messages.structure);
    counters.textLength += raw.text.length;
    if (counters.textLength > RICH_TEXT_MAX_TEXT_LENGTH) throw new RichTextError(messages.tooLong);
    out.text = raw.text;
    return out;
  }
  if (raw.text !== undefined) throw new RichTextError(messages.structure);

  if (raw.content !== undefined && raw.content !== null) {
    if (!Array.isArray(raw.content)) throw new RichTextError(messages.structure);
    if (raw.content.length > 0) {
      if (nodeType.isLeaf) throw new RichTextError(messages.structure);
      out.content = raw.content.map((child) => normalizeNode(child, depth + 1, schema, counters));
    }
  }
  return out;
}

/* ------------------------------------------------------------------------------------------- */
/* Plain text: one line per paragraph or heading (a hard break is a newline), empty ones left out. */

function toText(doc: PMNode): string {
  const lines: string[] = [];
  doc.descendants((node) => {
    if (!node.isTextblock) return true;
    let line = "";
    node.forEach((child) => {
      if (child.isText) line += child.text ?? "";
      else if (child.type.name === "hardBreak") line += "\n";
    });
    line = line.trim();
    if (line.length > 0) lines.push(line);
    return false;
  });
  return lines.join("\n");
}

/* ------------------------------------------------------------------------------------------- */

/**
 * Validate a contribution's rich text (the editor's JSON, as a string or already parsed) and
 * render it. On success: the normalised JSON to store, the sanitised HTML to show, the plain text
 * for search and excerpts. On failure: a French message for the user.
 */
export function renderRichText(input: unknown): RichTextResult {
  try {
    let raw: unknown = input;
    if (typeof input === "string") {
      if (input.length > RICH_TEXT_MAX_JSON_LENGTH) return { ok: false, error: messages.tooLong };
      try {
        // NUL characters (which PostgreSQL refuses in text and JSON) are dropped wherever they are.
        raw = JSON.parse(input, (_key, value: unknown) => withoutNul(value));
      } catch {
        return { ok: false, error: messages.unreadable };
      }
    }
    if (!isPlainObject(raw)) return { ok: false, error: messages.notADoc };

    const schema = richTextSchema();
    const counters: Counters = { nodes: 0, textLength: 0 };
    const clean = normalizeNode(raw, 1, schema, counters);
    if (!clean.content || clean.content.length === 0) return { ok: false, error: messages.empty };

    let doc: PMNode;
    try {
      doc = schema.nodeFromJSON(clean);
      doc.check();
    } catch {
      return { ok: false, error: messages.structure };
    }

    const text = toText(doc);
    if (text.length === 0) return { ok: false, error: messages.empty };

    const html = sanitizeRichTextHtml(toHTML(doc));
    if (!isSafeHtml(html)) return { ok: false, error: messages.internal };

    return { ok: true, json: doc.toJSON() as JSONContent, html, text };
  } catch (error) {
    if (error instanceof RichTextError) return { ok: false, error: error.message };
    // A RangeError from a pathological input, or a bug: never store, never leak details.
    return { ok: false, error: messages.structure };
  }
}
