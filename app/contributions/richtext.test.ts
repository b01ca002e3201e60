import type { JSONContent } from "@tiptap/core";
import { generateHTML } from "@tiptap/html/server";
import { describe, expect, it } from "vitest";
import { isAllowedHref, richTextExtensions } from "./richtext";
import { renderRichText, sanitizeRichTextHtml, type RichTextResult } from "./richtext.server";

const REL = 'rel="noopener noreferrer nofollow"';

const text = (value: string, marks?: JSONContent["marks"]): JSONContent => (marks ? { type: "text", text: value, marks } : { type: "text", text: value });
const p = (...content: JSONContent[]): JSONContent => ({ type: "paragraph", content });
const doc = (...content: JSONContent[]): JSONContent => ({ type: "doc", content });
const linkTo = (href: string, label = "lien") => doc(p(text(label, [{ type: "link", attrs: { href } }])));

function ok(result: RichTextResult) {
  if (!result.ok) throw new Error(`expected success, got: ${result.error}`);
  return result;
}
function refused(result: RichTextResult): string {
  if (result.ok) throw new Error(`expected a refusal, got HTML: ${result.html}`);
  return result.error;
}

// Every allowed construct, shaped like the editor's getJSON() (defaults included).
const everything = doc(
  { type: "heading", attrs: { level: 2 }, content: [text("Titre")] },
  { type: "heading", attrs: { level: 3 }, content: [text("Sous-titre")] },
  p(
    text("Du "),
    text("gras", [{ type: "bold" }]),
    text(", de l'"),
    text("italique", [{ type: "italic" }]),
    text(", les "),
    text("deux", [{ type: "bold" }, { type: "italic" }]),
    text(", un "),
    text("lien", [
      { type: "link", attrs: { href: "https://example.org/page?a=1&b=2", target: null, rel: "noopener noreferrer nofollow", class: null, title: null } },
    ]),
    { type: "hardBreak" },
    text("suite <pas une balise> & fin."),
  ),
  {
    type: "bulletList",
    content: [
      { type: "listItem", content: [p(text("un"))] },
      { type: "listItem", content: [p(text("deux")), { type: "bulletList", content: [{ type: "listItem", content: [p(text("deux bis"))] }] }] },
    ],
  },
  {
    type: "orderedList",
    attrs: { start: 1, type: null },
    content: [
      { type: "listItem", content: [p(text("premier"))] },
      { type: "listItem", content: [p(text("écrire à "), text("nous", [{ type: "link", attrs: { href: "mailto:contact@example.org" } }]))] },
    ],
  },
  { type: "blockquote", content: [p(text("Une citation."))] },
);

const everythingHtml =
  "<h2>Titre</h2>" +
  "<h3>Sous-titre</h3>" +
  `<p>Du <strong>gras</strong>, de l'<em>italique</em>, les <strong><em>deux</em></strong>, un ` +
  `<a href="https://example.org/page?a=1&amp;b=2" ${REL}>lien</a><br />suite &lt;pas une balise&gt; &amp; fin.</p>` +
  "<ul><li><p>un</p></li><li><p>deux</p><ul><li><p>deux bis</p></li></ul></li></ul>" +
  `<ol><li><p>premier</p></li><li><p>écrire à <a href="mailto:contact@example.org" ${REL}>nous</a></p></li></ol>` +
  "<blockquote><p>Une citation.</p></blockquote>";

describe("renderRichText: allowed content", () => {
  it("renders every allowed construct to the expected HTML", () => {
    const result = ok(renderRichText(everything));
    expect(result.html).toBe(everythingHtml);
  });

  it("accepts the same document as a JSON string", () => {
    expect(ok(renderRichText(JSON.stringify(everything))).html).toBe(everythingHtml);
  });

  it("produces plain text: one line per block, hard breaks as newlines", () => {
    expect(ok(renderRichText(everything)).text).toBe(
      [
        "Titre",
        "Sous-titre",
        "Du gras, de l'italique, les deux, un lien",
        "suite <pas une balise> & fin.",
        "un",
        "deux",
        "deux bis",
        "premier",
        "écrire à nous",
        "Une citation.",
      ].join("\n"),
    );
  });

  it("leaves empty paragraphs out of the text", () => {
    const result = ok(renderRichText(doc({ type: "paragraph" }, p(text("  a  ")), { type: "paragraph" }, p(text("b")))));
    expect(result.text).toBe("a\nb");
    expect(result.html).toBe("<p></p><p>  a  </p><p></p><p>b</p>");
  });

  it("matches what @tiptap/html's own generateHTML renders, once sanitised", () => {
    const result = ok(renderRichText(everything));
    expect(sanitizeRichTextHtml(generateHTML(result.json, richTextExtensions))).toBe(result.html);
  });

  it("returns normalised JSON that renders the same again", () => {
    const result = ok(renderRichText(everything));
    expect(result.json.type).toBe("doc");
    expect(ok(renderRichText(result.json)).html).toBe(result.html);
  });

  it("gives every link rel=noopener noreferrer nofollow and nothing else, whatever the JSON said", () => {
    const result = ok(
      renderRichText(
        doc(p(text("x", [{ type: "link", attrs: { href: " https://example.org/ ", target: "_blank", rel: "opener", class: "evil", title: "t" } }]))),
      ),
    );
    expect(result.html).toBe(`<p><a href="https://example.org/" ${REL}>x</a></p>`);
    const mark = result.json.content?.[0].content?.[0].marks?.[0];
    expect(mark?.attrs).toMatchObject({ href: "https://example.org/", target: null, rel: "noopener noreferrer nofollow", class: null });
  });

  it("keeps an ordered list's start number", () => {
    const result = ok(renderRichText(doc({ type: "orderedList", attrs: { start: 3 }, content: [{ type: "listItem", content: [p(text("trois"))] }] })));
    expect(result.html).toBe('<ol start="3"><li><p>trois</p></li></ol>');
  });

  it("accepts http, https and mailto links in any case", () => {
    for (const href of ["http://example.org", "HTTPS://Example.org/a#b", "mailto:a@example.org", "MailTo:a@example.org?subject=Bonjour"]) {
      const result = ok(renderRichText(linkTo(href)));
      expect(result.html).toContain(REL);
      expect(result.html).toContain(`href="${href.replace(/&/g, "&amp;")}"`);
    }
  });
});

describe("renderRichText: refused input, with a French message", () => {
  const linkMessage = /lien a une adresse non autorisée/;

  it.each([
    ["javascript:alert(1)"],
    ["JavaScript:alert(1)"],
    ["  javascript:alert(1)"],
    ["java\tscript:alert(1)"],
    ["java\nscript:alert(1)"],
    ["java\rscript:alert(1)"],
    ["\u0000javascript:alert(1)"],
    ["javascript\u0000:alert(1)"],
    ["\u00a0javascript:alert(1)"],
    ["jav&#x09;ascript:alert(1)"],
    ["javascript&colon;alert(1)"],
    ["&#106;avascript:alert(1)"],
    ["vbscript:msgbox(1)"],
    ["data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="],
    ["DATA:text/html,<script>alert(1)</script>"],
    ["//evil.example/x"],
    ["/relative/path"],
    ["page.html"],
    ["#ancre"],
    ["https:evil.example"],
    ["https://"],
    ["https:\\\\evil.example"],
    ["http://exa mple.org"],
    ["https://exa\u2028mple.org/"],
    ["https://example.org/\u200bx"],
    ["ftp://example.org/file"],
    ["file:///etc/passwd"],
    ["mailto:"],
    [""],
  ])("refuses the link %j", (href) => {
    expect(refused(renderRichText(linkTo(href)))).toMatch(linkMessage);
  });

  it("refuses a link without an href, or with a non-string href", () => {
    expect(refused(renderRichText(doc(p(text("x", [{ type: "link" }])))))).toMatch(linkMessage);
    expect(refused(renderRichText(doc(p(text("x", [{ type: "link", attrs: { href: ["https://example.org"] } }])))))).toMatch(linkMessage);
  });

  it("refuses an onclick attribute on a paragraph", () => {
    expect(refused(renderRichText(doc({ type: "paragraph", attrs: { onclick: "alert(1)" }, content: [text("x")] })))).toBe(
      "Le texte contient un attribut non autorisé (onclick).",
    );
  });

  it("refuses style and class attributes", () => {
    expect(refused(renderRichText(doc({ type: "heading", attrs: { level: 2, style: "color:red" }, content: [text("x")] })))).toBe(
      "Le texte contient un attribut non autorisé (style).",
    );
    expect(refused(renderRichText(doc({ type: "paragraph", attrs: { class: "x" }, content: [text("x")] })))).toBe(
      "Le texte contient un attribut non autorisé (class).",
    );
    expect(refused(renderRichText(doc(p(text("x", [{ type: "bold", attrs: { style: "x" } }])))))).toBe(
      "Le texte contient un attribut non autorisé (style).",
    );
  });

  it("refuses unknown attributes on a link", () => {
    expect(refused(renderRichText(doc(p(text("x", [{ type: "link", attrs: { href: "https://example.org", onmouseover: "alert(1)" } }])))))).toBe(
      "Le texte contient un attribut non autorisé (onmouseover).",
    );
  });

  it.each([["image"], ["codeBlock"], ["iframe"], ["horizontalRule"], ["script"]])("refuses the node type %s", (type) => {
    expect(refused(renderRichText(doc({ type, attrs: {}, content: [] })))).toBe(`Le texte contient un élément non autorisé (${type}).`);
    // Also when nested deep inside allowed content.
    const nested = doc({ type: "blockquote", content: [{ type: "bulletList", content: [{ type: "listItem", content: [p(text("a")), { type }] }] }] });
    expect(refused(renderRichText(nested))).toBe(`Le texte contient un élément non autorisé (${type}).`);
  });

  it("refuses inherited property names as node types", () => {
    for (const type of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(refused(renderRichText({ type: "doc", content: [{ type, content: [] }] }))).toMatch(/élément non autorisé/);
    }
  });

  it.each([["code"], ["strike"], ["underline"], ["highlight"]])("refuses the mark %s", (type) => {
    expect(refused(renderRichText(doc(p(text("x", [{ type }])))))).toBe(`Le texte contient une mise en forme non autorisée (${type}).`);
  });

  it.each([[1], [4], [6], ["2"], [null], [undefined]])("refuses a heading of level %j", (level) => {
    const heading: JSONContent = { type: "heading", content: [text("Titre")] };
    if (level !== undefined) heading.attrs = { level };
    expect(refused(renderRichText(doc(heading)))).toBe("Seuls les titres de section et les sous-titres sont autorisés (niveaux 2 et 3).");
  });

  it.each([["<p>bonjour</p>"], ["{"], ["{\"type\":\"doc\",}"], ["undefined"], [""]])("refuses the non-JSON string %j", (input) => {
    expect(refused(renderRichText(input))).toBe("Le texte n'a pas pu être lu (format invalide).");
  });

  it.each([
    ["42"],
    ["null"],
    ["[]"],
    ['"doc"'],
    ['{"content":[]}'],
    ['{"type":"paragraph","content":[{"type":"text","text":"x"}]}'],
  ])("refuses JSON that is not a document: %s", (input) => {
    expect(refused(renderRichText(input))).toBe("Le texte n'a pas pu être lu (un document est attendu).");
  });

  it.each([[null], [undefined], [42], [["doc"]], [new Date()]])("refuses a non-document value %j", (input) => {
    expect(refused(renderRichText(input))).toBe("Le texte n'a pas pu être lu (un document est attendu).");
  });

  it.each([
    ["no content", { type: "doc" }],
    ["empty content", { type: "doc", content: [] }],
    ["an empty paragraph", doc({ type: "paragraph" })],
    ["whitespace only", doc(p(text("   ")), p(text("\n\t")))],
    ["a hard break only", doc(p({ type: "hardBreak" }))],
    ["an empty list", doc({ type: "bulletList", content: [{ type: "listItem", content: [{ type: "paragraph" }] }] })],
  ])("refuses an empty document (%s)", (_name, input) => {
    expect(refused(renderRichText(input))).toBe("Le texte est vide.");
  });

  it("refuses content in the wrong place", () => {
    const structure = "Le texte n'a pas une structure valide.";
    expect(refused(renderRichText({ type: "doc", content: [text("texte nu")] }))).toBe(structure);
    expect(refused(renderRichText(doc({ type: "listItem", content: [p(text("x"))] })))).toBe(structure);
    expect(refused(renderRichText(doc(p(p(text("x"))))))).toBe(structure);
    expect(refused(renderRichText(doc(p({ type: "text", text: "" }))))).toBe(structure);
    expect(refused(renderRichText(doc(p({ type: "text", text: 42 } as unknown as JSONContent))))).toBe(structure);
    expect(refused(renderRichText(doc({ type: "doc", content: [p(text("x"))] })))).toBe(structure);
    expect(refused(renderRichText({ type: "doc", content: "x" }))).toBe(structure);
    expect(refused(renderRichText(doc({ type: "hardBreak", content: [text("x")] })))).toBe(structure);
  });

  it("refuses a document nested too deeply", () => {
    let node: JSONContent = p(text("profond"));
    for (let i = 0; i < 25; i++) node = { type: "blockquote", content: [node] };
    expect(refused(renderRichText(doc(node)))).toMatch(/^Le texte est trop imbriqué/);
    // Far deeper than any stack would like: still a clean refusal.
    let deep: JSONContent = p(text("x"));
    for (let i = 0; i < 100_000; i++) deep = { type: "blockquote", content: [deep] };
    expect(refused(renderRichText(doc(deep)))).toMatch(/^Le texte est trop imbriqué/);
  });

  it("accepts moderate nesting", () => {
    let node: JSONContent = p(text("profond"));
    for (let i = 0; i < 10; i++) node = { type: "blockquote", content: [node] };
    expect(ok(renderRichText(doc(node))).html).toBe(`${"<blockquote>".repeat(10)}<p>profond</p>${"</blockquote>".repeat(10)}`);
  });

  it("refuses more than 100,000 characters of text, and accepts 100,000", () => {
    expect(ok(renderRichText(doc(p(text("a".repeat(50_000))), p(text("b".repeat(50_000))))))).toBeTruthy();
    expect(refused(renderRichText(doc(p(text("a".repeat(50_000))), p(text("b".repeat(50_001))))))).toBe(
      "Le texte est trop long (100 000 caractères au maximum).",
    );
  });

  it("refuses a document made of too many nodes", () => {
    const paragraphs = Array.from({ length: 30_000 }, () => ({ type: "paragraph" }));
    expect(refused(renderRichText({ type: "doc", content: [p(text("x")), ...paragraphs] }))).toMatch(/trop d'éléments/);
  });
});

describe("sanitizeRichTextHtml", () => {
  it("removes img, script and javascript: links", () => {
    const html = sanitizeRichTextHtml('<img src=x onerror=alert(1)><script>alert(1)</script><a href="javascript:alert(1)">x</a>');
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/javascript/i);
    expect(html).not.toMatch(/onerror/i);
    expect(html).not.toContain("alert");
    expect(html).toBe("x");
  });

  it("strips event handlers, styles and classes from allowed tags", () => {
    expect(sanitizeRichTextHtml('<p onclick="alert(1)" style="color:red" class="c" id="i">a</p>')).toBe("<p>a</p>");
    expect(sanitizeRichTextHtml('<h2 onmouseover="x">t</h2><strong onfocus="x">g</strong>')).toBe("<h2>t</h2><strong>g</strong>");
  });

  it("forces rel and drops target and title on links", () => {
    expect(sanitizeRichTextHtml('<a href="https://example.org" target="_blank" rel="opener" title="t" onclick="x">a</a>')).toBe(
      `<a href="https://example.org" ${REL}>a</a>`,
    );
    expect(sanitizeRichTextHtml('<a href="mailto:a@example.org">a</a>')).toBe(`<a href="mailto:a@example.org" ${REL}>a</a>`);
  });

  it("unwraps links to anything but absolute http, https or mailto addresses", () => {
    for (const href of [
      "javascript:alert(1)",
      "java&#x09;script:alert(1)",
      "&#106;avascript:alert(1)",
      " javascript:alert(1)",
      "data:text/html,x",
      "vbscript:x",
      "//evil.example",
      "/relative",
      "relative",
    ]) {
      expect(sanitizeRichTextHtml(`<a href="${href}">t</a>`), href).toBe("t");
    }
  });

  it("drops dangerous tags with their content, and other tags but not their text", () => {
    expect(sanitizeRichTextHtml('<iframe src="https://evil.example">x</iframe><style>p{}</style><svg><script>1</script></svg>')).toBe("");
    expect(sanitizeRichTextHtml("<h1>t</h1><div>d</div><code>c</code><u>u</u>")).toBe("tdcu");
    expect(sanitizeRichTextHtml('<object data="x"></object><embed src="x"><form><input></form>')).toBe("");
  });

  it("keeps the allowed tags", () => {
    const html = `<h2>a</h2><h3>b</h3><p>c<br /><strong>d</strong><em>e</em></p><ul><li>f</li></ul><ol start="2"><li>g</li></ol><blockquote><p>h</p></blockquote>`;
    expect(sanitizeRichTextHtml(html)).toBe(html);
  });

  it("never lets a quote break out of an attribute", () => {
    const html = sanitizeRichTextHtml(`<a href='https://example.org/"onmouseover="alert(1)'>x</a>`);
    expect(html).toBe(`<a href="https://example.org/&quot;onmouseover=&quot;alert(1)" ${REL}>x</a>`);
  });
});

describe("isAllowedHref (shared with the editor's Link extension)", () => {
  it("allows only absolute http, https and mailto addresses", () => {
    expect(isAllowedHref("https://example.org")).toBe(true);
    expect(isAllowedHref("http://example.org/a?b=c#d")).toBe(true);
    expect(isAllowedHref("mailto:a@example.org")).toBe(true);
    expect(isAllowedHref("javascript:alert(1)")).toBe(false);
    expect(isAllowedHref("example.org")).toBe(false);
    expect(isAllowedHref(" https://example.org")).toBe(false);
    expect(isAllowedHref(undefined)).toBe(false);
    expect(isAllowedHref(`https://example.org/${"a".repeat(3000)}`)).toBe(false);
  });
});
