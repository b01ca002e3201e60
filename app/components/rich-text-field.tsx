import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { RichTextEditor, type EditorLabels, type ListIndentLabels } from "./editor.client";
import { FieldError } from "./forms";

/**
 * The body field: the tiptap editor once the page is hydrated; before that (or without
 * JavaScript) a plain textarea whose paragraphs the server turns into a document.
 */
export function RichTextField({ name, label, defaultValue, plainDefault, error }: {
  name: string;
  label: string;
  defaultValue?: unknown;
  plainDefault?: string;
  error?: string;
}) {
  const { t } = useTranslation();
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const labels = { ...(t("editor", { returnObjects: true }) as EditorLabels), ...(t("editorList", { returnObjects: true }) as ListIndentLabels) };
  if (hydrated) {
    return <RichTextEditor id="body" name={name} label={label} labels={labels} defaultValue={defaultValue as never} error={error} />;
  }
  return (
    <div className="field">
      <label htmlFor="body-plain">{t("contributions.bodyFallback")}</label>
      <textarea id="body-plain" name="bodyPlain" rows={10} defaultValue={plainDefault} aria-invalid={error ? true : undefined} aria-describedby={error ? "body-error" : undefined} />
      <FieldError id="body-error" message={error} />
    </div>
  );
}
