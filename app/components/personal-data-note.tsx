import { Fragment } from "react";
import { useTranslation } from "react-i18next";
import { findPersonalData } from "~/privacy/personal-data-check";
import { describedBy, FieldError } from "./forms";

/**
 * Beside a publication's text: the personal data found in it, highlighted in a copy of the text
 * and listed, with the box that confirms it may go out (named `name`). Follows the text as it is
 * typed; the server checks the same rule again (createPublication). An empty live region when
 * there is nothing to say, so that a screen reader hears when something appears.
 */
export function PersonalDataNote({ id, text, name, error }: { id: string; text: string; name: string; error?: string }) {
  const { t } = useTranslation();
  const found = findPersonalData(text);
  if (found.length === 0) return <div id={id} aria-live="polite" />;
  const pieces: React.ReactNode[] = [];
  let at = 0;
  found.forEach((f, i) => {
    pieces.push(<Fragment key={`t${i}`}>{text.slice(at, f.start)}</Fragment>, <mark key={`m${i}`}>{f.text}</mark>);
    at = f.end;
  });
  pieces.push(<Fragment key="end">{text.slice(at)}</Fragment>);
  return (
    <div id={id} className="card stack personal-data" aria-live="polite">
      <p>
        <strong>{t("publishing.personal.title")}</strong>
      </p>
      <p className="hint">{t("publishing.personal.intro")}</p>
      <ul>
        {found.map((f, i) => (
          <li key={i}>
            {t(`publishing.personal.kinds.${f.kind}`)} : <mark>{f.text}</mark>
          </li>
        ))}
      </ul>
      <p className="personal-data-text">{pieces}</p>
      <label className="choice">
        <input type="checkbox" name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(error && `${id}-error`)} />
        {t("publishing.personal.confirm")}
      </label>
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
