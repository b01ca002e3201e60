// Strings of the rich-text editor's toolbar (app/components/editor.client.tsx), French first.
import type { EditorLabels } from "~/components/editor.client";

export const editorMessages = {
  fr: {
    toolbar: "Barre d'outils de mise en forme",
    bold: "Gras",
    italic: "Italique",
    // The buttons show "H2" and "H3": their names must contain it (WCAG 2.5.3).
    heading2: "H2 : titre de section",
    heading3: "H3 : sous-titre",
    bulletList: "Liste à puces",
    orderedList: "Liste numérotée",
    blockquote: "Citation",
    link: "Lien",
    linkAddress: "Adresse du lien",
    linkHint: "Elle commence par https://, http:// ou mailto:. Laissez vide pour retirer le lien.",
    linkInvalid: "Cette adresse n'est pas acceptée : elle doit commencer par https://, http:// ou mailto:.",
    linkApply: "Appliquer",
    linkCancel: "Annuler",
    undo: "Annuler la dernière modification",
    redo: "Rétablir",
  },
  en: {
    toolbar: "Formatting toolbar",
    bold: "Bold",
    italic: "Italic",
    heading2: "H2: section heading",
    heading3: "H3: subheading",
    bulletList: "Bulleted list",
    orderedList: "Numbered list",
    blockquote: "Quote",
    link: "Link",
    linkAddress: "Link address",
    linkHint: "It starts with https://, http:// or mailto:. Leave empty to remove the link.",
    linkInvalid: "This address is not accepted: it must start with https://, http:// or mailto:.",
    linkApply: "Apply",
    linkCancel: "Cancel",
    undo: "Undo",
    redo: "Redo",
  },
} satisfies Record<"fr" | "en", EditorLabels>;
