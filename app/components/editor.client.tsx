// The rich-text editor of contributions (browser only: a .client.tsx module; the parent renders a
// fallback on the server). Its value travels in a hidden input as the editor's JSON; the server
// validates and renders it (app/contributions/richtext.server.ts). No UI strings here: the parent
// passes them in `labels` (see app/i18n/editor.ts).
import type { AnyExtension, Editor, Extensions, JSONContent } from "@tiptap/core";
import { EditorContent, useEditor, useEditorState } from "@tiptap/react";
import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { isAllowedHref, richTextExtensions } from "~/contributions/richtext";
import "./editor.css";

export type EditorLabels = {
  /** aria-label of the toolbar. */
  toolbar: string;
  bold: string;
  italic: string;
  /** Heading of level 2. */
  heading2: string;
  /** Heading of level 3. */
  heading3: string;
  bulletList: string;
  orderedList: string;
  blockquote: string;
  /** Name of the link button and title of the link dialog. */
  link: string;
  /** Label of the dialog's address field. */
  linkAddress: string;
  /** Hint under it: the schemes allowed, and that an empty address removes the link. */
  linkHint: string;
  /** Shown beside the field when the address is not an http, https or mailto address. */
  linkInvalid: string;
  linkApply: string;
  linkCancel: string;
  undo: string;
  redo: string;
};

/** Names of the buttons that nest a list item in the previous one, and take it back out. */
export type ListIndentLabels = {
  indent: string;
  outdent: string;
};

export type RichTextEditorProps = {
  /** Name of the hidden input carrying JSON.stringify(editor.getJSON()). */
  name: string;
  /** Initial content: tiptap JSON, as an object or a JSON string. */
  defaultValue?: JSONContent | string | null;
  /** Visible label of the field. */
  label: string;
  labels: EditorLabels & ListIndentLabels;
  /** Error message to show under the field (already translated). */
  error?: string;
  /** Base id; the label, the editable area and the error derive theirs from it. */
  id?: string;
};

type Active = {
  bold: boolean;
  italic: boolean;
  heading2: boolean;
  heading3: boolean;
  bulletList: boolean;
  orderedList: boolean;
  blockquote: boolean;
  link: boolean;
  canIndent: boolean;
  canOutdent: boolean;
  canUndo: boolean;
  canRedo: boolean;
};

const inactive: Active = {
  bold: false,
  italic: false,
  heading2: false,
  heading3: false,
  bulletList: false,
  orderedList: false,
  blockquote: false,
  link: false,
  canIndent: false,
  canOutdent: false,
  canUndo: false,
  canRedo: false,
};

/**
 * Tab and Shift+Tab leave the editor, as everywhere else on the page: tiptap's list item (and its
 * list keymap) would otherwise nest or un-nest the list item and keep the focus, trapping a
 * keyboard user in the text. Nesting is offered by the indent / outdent buttons of the toolbar.
 * Same nodes and marks as richTextExtensions: only key bindings change.
 */
function withoutTab(extension: AnyExtension): AnyExtension {
  return extension.extend({
    addKeyboardShortcuts() {
      const { Tab: _tab, "Shift-Tab": _shiftTab, ...rest } = this.parent?.() ?? {};
      return rest;
    },
  });
}

const editorExtensions: Extensions = richTextExtensions.map((extension) =>
  extension.name === "starterKit"
    ? extension.extend({
        addExtensions() {
          return (this.parent?.() ?? []).map((child) => (child.name === "listItem" || child.name === "listKeymap" ? withoutTab(child) : child));
        },
      })
    : extension,
);

/** Whether the selection is in a list item that sits inside another one (it can be taken out one level). */
function inNestedListItem(editor: Editor): boolean {
  const { $from } = editor.state.selection;
  let items = 0;
  for (let depth = $from.depth; depth > 0; depth--) if ($from.node(depth).type.name === "listItem") items++;
  return items > 1;
}

function parseDefault(value: RichTextEditorProps["defaultValue"]): JSONContent | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  if (typeof value !== "string") return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as JSONContent) : undefined;
  } catch {
    return undefined;
  }
}

/** What the link dialog should do with the address typed. */
function linkTarget(answer: string): { remove: true } | { href: string } | { invalid: true } {
  const trimmed = answer.trim();
  if (trimmed === "") return { remove: true };
  if (isAllowedHref(trimmed)) return { href: trimmed };
  // "exemple.fr/page" or "nom@exemple.fr": add the scheme people leave out.
  const guess = /^[^\s@/:]+@[^\s@/:]+\.[^\s@/:]+$/.test(trimmed) ? `mailto:${trimmed}` : `https://${trimmed}`;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed) && isAllowedHref(guess)) return { href: guess };
  return { invalid: true };
}

/** Sets, replaces or removes the link at the selection. */
function applyLink(editor: Editor, target: { remove: true } | { href: string }) {
  if ("remove" in target) {
    editor.chain().focus().extendMarkRange("link").unsetLink().run();
    return;
  }
  if (editor.state.selection.empty && !editor.isActive("link")) {
    // Nothing selected: insert the address itself as the link's text.
    editor
      .chain()
      .focus()
      .insertContent({ type: "text", text: target.href.replace(/^mailto:/i, ""), marks: [{ type: "link", attrs: { href: target.href } }] })
      .unsetMark("link")
      .run();
    return;
  }
  editor.chain().focus().extendMarkRange("link").setLink({ href: target.href }).run();
}

/**
 * The link's address, asked in a modal <dialog> rather than the browser's prompt(): labelled,
 * translated, with its error beside the field. Not a <form>: the editor already sits in one, and
 * forms do not nest; Enter is handled here instead. Escape and Cancel close it; however it closes,
 * the focus goes back to the text, where the selection was.
 */
function LinkDialog({ editor, open, onClose, labels, baseId }: { editor: Editor; open: boolean; onClose: () => void; labels: EditorLabels; baseId: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [href, setHref] = useState("");
  const [invalid, setInvalid] = useState(false);
  // The text selected when the dialog opened: the browser's selection leaves the text with the focus.
  const selection = useRef<{ from: number; to: number } | null>(null);
  const ids = { title: `${baseId}-link-title`, field: `${baseId}-link-url`, hint: `${baseId}-link-hint`, error: `${baseId}-link-error` };

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      const current = (editor.getAttributes("link").href as string | undefined) ?? "";
      setHref(current);
      setInvalid(false);
      selection.current = { from: editor.state.selection.from, to: editor.state.selection.to };
      element.showModal();
      const field = element.querySelector("input");
      field?.focus();
      field?.setSelectionRange(0, current.length);
    } else if (!open && element.open) element.close();
  }, [open, editor]);

  function apply() {
    const target = linkTarget(href);
    if ("invalid" in target) {
      setInvalid(true);
      dialog.current?.querySelector("input")?.focus();
      return;
    }
    const range = selection.current;
    selection.current = null;
    // Closed first: while the modal dialog is open, the text cannot take the focus back.
    dialog.current?.close();
    if (range) editor.commands.setTextSelection(range);
    applyLink(editor, target);
  }

  return (
    <dialog
      ref={dialog}
      className="rt-dialog"
      aria-labelledby={ids.title}
      onClose={() => {
        onClose();
        // Cancelled: back to the text as it was selected. Applied: where applyLink left it.
        if (selection.current) editor.chain().focus().setTextSelection(selection.current).run();
        else editor.commands.focus();
        selection.current = null;
      }}
    >
      <h2 id={ids.title} className="rt-dialog-title">
        {labels.link}
      </h2>
      <div className={invalid ? "field has-error" : "field"}>
        <label htmlFor={ids.field}>{labels.linkAddress}</label>
        <p className="hint" id={ids.hint}>
          {labels.linkHint}
        </p>
        <input
          id={ids.field}
          type="text"
          inputMode="url"
          autoComplete="url"
          autoCapitalize="none"
          spellCheck={false}
          value={href}
          onChange={(event) => {
            setHref(event.target.value);
            setInvalid(false);
          }}
          onKeyDown={(event) => {
            // Enter would send the contribution's form: it applies the link instead.
            if (event.key === "Enter") {
              event.preventDefault();
              apply();
            }
          }}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={invalid ? `${ids.hint} ${ids.error}` : ids.hint}
        />
        {invalid ? (
          <p className="field-error" id={ids.error}>
            {labels.linkInvalid}
          </p>
        ) : null}
      </div>
      <div className="rt-dialog-actions">
        <button type="button" onClick={apply}>
          {labels.linkApply}
        </button>
        <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
          {labels.linkCancel}
        </button>
      </div>
    </dialog>
  );
}

const icon = (children: ReactNode) => (
  <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
    {children}
  </svg>
);

const icons = {
  bold: icon(<path d="M7 5h6a3.5 3.5 0 0 1 0 7H7zM7 12h7a3.5 3.5 0 0 1 0 7H7z" strokeWidth="2.5" />),
  italic: icon(<path d="M10 5h8M6 19h8M14 5l-4 14" />),
  heading2: (
    <span className="rt-glyph" aria-hidden="true">
      H2
    </span>
  ),
  heading3: (
    <span className="rt-glyph" aria-hidden="true">
      H3
    </span>
  ),
  bulletList: icon(
    <>
      <path d="M9 6h11M9 12h11M9 18h11" />
      <circle cx="4.5" cy="6" r="1" fill="currentColor" />
      <circle cx="4.5" cy="12" r="1" fill="currentColor" />
      <circle cx="4.5" cy="18" r="1" fill="currentColor" />
    </>,
  ),
  orderedList: icon(<path d="M10 6h10M10 12h10M10 18h10M4 4.5h1.5V9M4 9h3M4 14.5a1.5 1.5 0 0 1 3 0c0 1.5-3 2-3 4.5h3" strokeWidth="1.6" />),
  indent: icon(<path d="M11 6h9M11 12h9M11 18h9M4 8l4 4-4 4" />),
  outdent: icon(<path d="M11 6h9M11 12h9M11 18h9M8 8l-4 4 4 4" />),
  blockquote: icon(<path d="M5 17c2.5 0 4-1.5 4-4.5V8H5v4.5h4M15 17c2.5 0 4-1.5 4-4.5V8h-4v4.5h4" />),
  link: icon(<path d="M10 14a4.5 4.5 0 0 0 6.4 0l3-3a4.5 4.5 0 0 0-6.4-6.4l-1 1M14 10a4.5 4.5 0 0 0-6.4 0l-3 3a4.5 4.5 0 0 0 6.4 6.4l1-1" />),
  undo: icon(<path d="M9 14 4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11" />),
  redo: icon(<path d="m15 14 5-5-5-5M20 9H9.5a5.5 5.5 0 0 0 0 11H13" />),
};

type ButtonSpec = {
  key: keyof typeof icons;
  pressed?: (active: Active) => boolean;
  enabled?: (active: Active) => boolean;
  run: (editor: Editor, ui: { openLink: () => void }) => void;
};

const buttons: ButtonSpec[] = [
  { key: "bold", pressed: (a) => a.bold, run: (e) => e.chain().focus().toggleBold().run() },
  { key: "italic", pressed: (a) => a.italic, run: (e) => e.chain().focus().toggleItalic().run() },
  { key: "heading2", pressed: (a) => a.heading2, run: (e) => e.chain().focus().toggleHeading({ level: 2 }).run() },
  { key: "heading3", pressed: (a) => a.heading3, run: (e) => e.chain().focus().toggleHeading({ level: 3 }).run() },
  { key: "bulletList", pressed: (a) => a.bulletList, run: (e) => e.chain().focus().toggleBulletList().run() },
  { key: "orderedList", pressed: (a) => a.orderedList, run: (e) => e.chain().focus().toggleOrderedList().run() },
  { key: "indent", enabled: (a) => a.canIndent, run: (e) => e.chain().focus().sinkListItem("listItem").run() },
  { key: "outdent", enabled: (a) => a.canOutdent, run: (e) => e.chain().focus().liftListItem("listItem").run() },
  { key: "blockquote", pressed: (a) => a.blockquote, run: (e) => e.chain().focus().toggleBlockquote().run() },
  { key: "link", pressed: (a) => a.link, run: (_e, ui) => ui.openLink() },
  { key: "undo", enabled: (a) => a.canUndo, run: (e) => e.chain().focus().undo().run() },
  { key: "redo", enabled: (a) => a.canRedo, run: (e) => e.chain().focus().redo().run() },
];

export function RichTextEditor({ name, defaultValue, label, labels, error, id }: RichTextEditorProps) {
  const generatedId = useId();
  const baseId = id ?? `rt-${name}-${generatedId.replace(/[^a-zA-Z0-9_-]/g, "")}`;
  const labelId = `${baseId}-label`;
  const errorId = `${baseId}-error`;

  const [initial] = useState(() => parseDefault(defaultValue));
  // Until the editor has mounted (and if it never does), the form still carries the initial value.
  const [value, setValue] = useState(() => (initial ? JSON.stringify(initial) : ""));

  const editorAttributes = (hasError: boolean): Record<string, string> => ({
    id: baseId,
    class: "rt-editor",
    role: "textbox",
    "aria-multiline": "true",
    "aria-labelledby": labelId,
    ...(hasError ? { "aria-describedby": errorId, "aria-invalid": "true" } : {}),
  });

  const [linkOpen, setLinkOpen] = useState(false);
  const openLink = useCallback(() => setLinkOpen(true), []);

  const editor = useEditor({
    extensions: editorExtensions,
    content: initial,
    immediatelyRender: false,
    shouldRerenderOnTransaction: false,
    editorProps: {
      attributes: editorAttributes(Boolean(error)),
      // Ctrl+K (Cmd+K on macOS), as in most editors: the link dialog.
      handleKeyDown: (_view, event) => {
        if (event.key.toLowerCase() !== "k" || event.altKey || event.shiftKey || !(event.ctrlKey || event.metaKey)) return false;
        event.preventDefault();
        openLink();
        return true;
      },
    },
    onCreate: ({ editor }) => setValue(JSON.stringify(editor.getJSON())),
    onUpdate: ({ editor }) => setValue(JSON.stringify(editor.getJSON())),
  });

  // Keep the editable area's aria-describedby / aria-invalid in step with the error.
  useEffect(() => {
    if (!editor || editor.isDestroyed) return;
    editor.setOptions({ editorProps: { ...editor.options.editorProps, attributes: editorAttributes(Boolean(error)) } });
    // editorAttributes only depends on ids that do not change and on error.
  }, [editor, error]);

  const active =
    useEditorState({
      editor,
      selector: ({ editor: e }): Active => {
        if (!e) return inactive;
        return {
          bold: e.isActive("bold"),
          italic: e.isActive("italic"),
          heading2: e.isActive("heading", { level: 2 }),
          heading3: e.isActive("heading", { level: 3 }),
          bulletList: e.isActive("bulletList"),
          orderedList: e.isActive("orderedList"),
          blockquote: e.isActive("blockquote"),
          link: e.isActive("link"),
          canIndent: e.can().sinkListItem("listItem"),
          canOutdent: inNestedListItem(e) && e.can().liftListItem("listItem"),
          canUndo: e.can().undo(),
          canRedo: e.can().redo(),
        };
      },
    }) ?? inactive;

  // Toolbar keyboard pattern (WAI-ARIA APG): one Tab stop, arrows / Home / End move between buttons.
  const [focusIndex, setFocusIndex] = useState(0);
  const buttonRefs = useRef<(HTMLButtonElement | null)[]>([]);
  function onToolbarKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const count = buttons.length;
    let next: number | null = null;
    if (event.key === "ArrowRight") next = (focusIndex + 1) % count;
    else if (event.key === "ArrowLeft") next = (focusIndex - 1 + count) % count;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = count - 1;
    if (next === null) return;
    event.preventDefault();
    setFocusIndex(next);
    buttonRefs.current[next]?.focus();
  }

  return (
    <div className={error ? "field rt-field has-error" : "field rt-field"}>
      <label id={labelId} className="rt-label" onClick={() => editor?.commands.focus()}>
        {label}
      </label>
      <div className="rt-frame">
        <div className="rt-toolbar" role="toolbar" aria-label={labels.toolbar} aria-controls={editor ? baseId : undefined} onKeyDown={onToolbarKeyDown}>
          {buttons.map((spec, index) => {
            const text = labels[spec.key];
            const pressed = spec.pressed ? spec.pressed(active) : undefined;
            const enabled = Boolean(editor) && (spec.enabled ? spec.enabled(active) : true);
            return (
              <button
                key={spec.key}
                ref={(element) => {
                  buttonRefs.current[index] = element;
                }}
                type="button"
                className={pressed ? "rt-button is-active" : "rt-button"}
                aria-label={text}
                title={text}
                aria-pressed={pressed}
                // aria-disabled rather than disabled: the button stays focusable in the toolbar.
                aria-disabled={enabled ? undefined : true}
                tabIndex={index === focusIndex ? 0 : -1}
                onFocus={() => setFocusIndex(index)}
                // Keep the selection in the text when clicking with a mouse.
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => {
                  if (editor && enabled) spec.run(editor, { openLink });
                }}
              >
                {icons[spec.key]}
              </button>
            );
          })}
        </div>
        <EditorContent editor={editor} className="rt-content" />
      </div>
      {editor ? <LinkDialog editor={editor} open={linkOpen} onClose={() => setLinkOpen(false)} labels={labels} baseId={baseId} /> : null}
      <input type="hidden" name={name} value={value} />
      {error ? (
        <p className="field-error" id={errorId} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
