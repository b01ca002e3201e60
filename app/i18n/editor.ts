// Strings of the rich-text editor's toolbar (app/components/editor.client.tsx), French first.
import type { EditorLabels } from "~/components/editor.client";

export const editorMessages = {
  fr: {
    toolbar: "Barre d'outils de mise en forme",
    bold: "Gras",
    italic: "Italique",
    heading2: "Titre de section",
    heading3: "Sous-titre",
    bulletList: "Liste à puces",
    orderedList: "Liste numérotée",
    blockquote: "Citation",
    link: "Lien",
    linkPrompt: "Adresse du lien (https://…). Laissez vide pour retirer le lien.",
    linkInvalid: "Cette adresse n'est pas acceptée : elle doit commencer par https://, http:// ou mailto:.",
    undo: "Annuler la dernière modification",
    redo: "Rétablir",
  },
  en: {
    toolbar: "Formatting toolbar",
    bold: "Bold",
    italic: "Italic",
    heading2: "Section heading",
    heading3: "Subheading",
    bulletList: "Bulleted list",
    orderedList: "Numbered list",
    blockquote: "Quote",
    link: "Link",
    linkPrompt: "Link address (https://…). Leave empty to remove the link.",
    linkInvalid: "This address is not accepted: it must start with https://, http:// or mailto:.",
    undo: "Undo",
    redo: "Redo",
  },
} satisfies Record<"fr" | "en", EditorLabels>;
