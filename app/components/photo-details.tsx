import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { FieldErrors } from "~/utils/forms";
import { describedBy, FieldError, useMsg } from "./forms";
import { PhotoImage } from "./photo-image";

export interface EditablePhoto {
  id: number;
  width: number;
  height: number;
  placeholder: string;
  alt_text: string;
  credit: string;
  rights_status: "unknown" | "no_person" | "authorised" | "refused";
  rights_scope: "internal" | "external" | null;
  rights_expires_on: string | null;
}

/** One photo's alt text, credit and image rights, as fields named photo.<id>.<field>. */
export function PhotoDetails({ photo, index, errors, removable = true }: { photo: EditablePhoto; index: number; errors?: FieldErrors; removable?: boolean }) {
  const { t } = useTranslation();
  const msg = useMsg();
  const [status, setStatus] = useState(photo.rights_status);
  const p = (field: string) => `photo.${photo.id}.${field}`;
  const id = (field: string) => `photo-${photo.id}-${field}`;
  const error = (field: string) => msg(errors?.[p(field)]);
  return (
    <fieldset className="photo-card">
      <legend>{t("photos.photo", { n: index + 1 })}</legend>
      <PhotoImage photo={{ ...photo, alt: photo.alt_text }} rendition="thumb" />
      <div className="field">
        <label htmlFor={id("alt")}>{t("photos.alt")}</label>
        <textarea
          id={id("alt")}
          name={p("alt")}
          rows={2}
          maxLength={1000}
          defaultValue={photo.alt_text}
          aria-describedby={describedBy(`${id("alt")}-hint`, error("alt") && `${id("alt")}-error`)}
          aria-invalid={error("alt") ? true : undefined}
        />
        <p className="hint" id={`${id("alt")}-hint`}>
          {t("photos.altHint")}
        </p>
        <FieldError id={`${id("alt")}-error`} message={error("alt")} />
      </div>
      <div className="field">
        <label htmlFor={id("credit")}>{t("photos.credit")}</label>
        <input
          id={id("credit")}
          type="text"
          name={p("credit")}
          maxLength={200}
          defaultValue={photo.credit}
          aria-invalid={error("credit") ? true : undefined}
          aria-describedby={describedBy(error("credit") && `${id("credit")}-error`)}
        />
        <FieldError id={`${id("credit")}-error`} message={error("credit")} />
      </div>
      <div className="field">
        <label htmlFor={id("rights")}>{t("photos.rights")}</label>
        <select
          id={id("rights")}
          name={p("rightsStatus")}
          value={status}
          onChange={(e) => setStatus(e.target.value as EditablePhoto["rights_status"])}
          aria-invalid={error("rightsStatus") ? true : undefined}
          aria-describedby={describedBy(error("rightsStatus") && `${id("rights")}-error`)}
        >
          {(["unknown", "no_person", "authorised", "refused"] as const).map((s) => (
            <option key={s} value={s}>
              {t(`photos.rightsStatus.${s}`)}
            </option>
          ))}
        </select>
        <FieldError id={`${id("rights")}-error`} message={error("rightsStatus")} />
      </div>
      {status === "authorised" ? (
        <>
          <div className="field">
            <label htmlFor={id("scope")}>{t("photos.scope")}</label>
            <select
              id={id("scope")}
              name={p("rightsScope")}
              defaultValue={photo.rights_scope ?? "internal"}
              aria-invalid={error("rightsScope") ? true : undefined}
              aria-describedby={describedBy(error("rightsScope") && `${id("scope")}-error`)}
            >
              <option value="internal">{t("photos.scopeInternal")}</option>
              <option value="external">{t("photos.scopeExternal")}</option>
            </select>
            <FieldError id={`${id("scope")}-error`} message={error("rightsScope")} />
          </div>
          <div className="field">
            <label htmlFor={id("expires")}>
              {t("photos.expires")} <span className="muted">({t("common.optional")})</span>
            </label>
            <input
              id={id("expires")}
              type="date"
              name={p("rightsExpiresOn")}
              defaultValue={photo.rights_expires_on ?? ""}
              aria-invalid={error("rightsExpiresOn") ? true : undefined}
              aria-describedby={describedBy(error("rightsExpiresOn") && `${id("expires")}-error`)}
            />
            <FieldError id={`${id("expires")}-error`} message={error("rightsExpiresOn")} />
          </div>
        </>
      ) : null}
      {removable ? (
        <label className="choice">
          <input type="checkbox" name="removePhoto" value={photo.id} />
          {t("photos.remove")}
        </label>
      ) : null}
    </fieldset>
  );
}
