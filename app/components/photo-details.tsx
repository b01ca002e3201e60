import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { externalBlock, type ExternalBlock } from "~/photos/rights";
import { LIMITS, photoFieldId, photoFieldName, RIGHTS_STATUSES, type PhotoFieldName, type PhotoRef } from "~/contributions/schema";
import type { FieldErrors } from "~/utils/forms";
import { describedBy, FieldError, useMsg } from "./forms";

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
  rights_withdrawn_at?: Date | string | null;
}

export type PhotoDefaults = Pick<EditablePhoto, "alt_text" | "credit" | "rights_status" | "rights_scope" | "rights_expires_on">;

export const NEW_PHOTO_DEFAULTS: PhotoDefaults = { alt_text: "", credit: "", rights_status: "unknown", rights_scope: null, rights_expires_on: null };

/**
 * One photo's alt text, credit and image rights, named photo.<ref>.<field> (schema.ts): a stored
 * photo (ref = its id) or a file just chosen (ref = new<n>). `preview` is its image, `remove` the
 * control that takes it out of the contribution.
 */
export function PhotoDetails({
  photoRef,
  index,
  preview,
  defaults,
  errors,
  remove,
}: {
  photoRef: PhotoRef;
  index: number;
  preview: ReactNode;
  defaults: PhotoDefaults;
  errors?: FieldErrors;
  remove?: ReactNode;
}) {
  const { t } = useTranslation();
  const msg = useMsg();
  const [status, setStatus] = useState(defaults.rights_status);
  const p = (field: PhotoFieldName) => photoFieldName(photoRef, field);
  const id = (field: string) => photoFieldId(photoRef, field);
  const error = (field: PhotoFieldName) => msg(errors?.[p(field)]);
  return (
    <fieldset className="photo-card">
      <legend>{t("photos.photo", { n: index + 1 })}</legend>
      {preview}
      <div className="field">
        <label htmlFor={id("alt")}>{t("photos.alt")}</label>
        <textarea
          id={id("alt")}
          name={p("alt")}
          rows={2}
          maxLength={LIMITS.alt}
          defaultValue={defaults.alt_text}
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
          maxLength={LIMITS.credit}
          defaultValue={defaults.credit}
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
          onChange={(e) => setStatus(e.target.value as PhotoDefaults["rights_status"])}
          aria-invalid={error("rightsStatus") ? true : undefined}
          aria-describedby={describedBy(error("rightsStatus") && `${id("rights")}-error`)}
        >
          {RIGHTS_STATUSES.map((s) => (
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
              defaultValue={defaults.rights_scope ?? "internal"}
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
              defaultValue={defaults.rights_expires_on ?? ""}
              aria-invalid={error("rightsExpiresOn") ? true : undefined}
              aria-describedby={describedBy(error("rightsExpiresOn") && `${id("expires")}-error`)}
            />
            <FieldError id={`${id("expires")}-error`} message={error("rightsExpiresOn")} />
          </div>
        </>
      ) : null}
      {remove}
    </fieldset>
  );
}

/** A photo (1-based position in the form) and why it may not be used outside the organisation. */
export interface PhotoBlock {
  photo: number;
  reason: ExternalBlock;
}

/** The rights of photos as they are in `form` right now (photo.<ref>.rights…), stored values otherwise. */
export function rightsInForm(form: HTMLFormElement, photos: { ref: PhotoRef; stored?: EditablePhoto }[], today: string): PhotoBlock[] {
  const data = new FormData(form);
  const removed = new Set(data.getAll("removePhoto").map(String));
  const value = (ref: PhotoRef, field: PhotoFieldName) => data.get(photoFieldName(ref, field));
  const blocks: PhotoBlock[] = [];
  photos.forEach(({ ref, stored }, i) => {
    if (removed.has(String(ref))) return;
    const status = (value(ref, "rightsStatus") ?? stored?.rights_status ?? "unknown") as EditablePhoto["rights_status"];
    const reason = externalBlock(
      {
        id: typeof ref === "number" ? ref : -1 - i,
        position: i,
        // The alt text has its own message, by its field; this note is about image rights.
        alt_text: "-",
        rights_status: status,
        rights_scope: status === "authorised" ? ((value(ref, "rightsScope") ?? stored?.rights_scope ?? "internal") as "internal" | "external") : null,
        rights_expires_on: status === "authorised" ? String(value(ref, "rightsExpiresOn") ?? stored?.rights_expires_on ?? "") || null : null,
        rights_withdrawn_at: stored?.rights_withdrawn_at ?? null,
      },
      today,
    );
    if (reason) blocks.push({ photo: i + 1, reason });
  });
  return blocks;
}

/**
 * Beside an external-publication box: which photos stand in the way, so that nobody learns it only
 * after ticking it. Always in the page (a live region announces changes); `id` is for the box's
 * aria-describedby, to be set only when there are blocks.
 */
export function ExternalBlocksNote({ id, blocks }: { id: string; blocks: PhotoBlock[] }) {
  const { t } = useTranslation();
  return (
    <div id={id} className="hint" aria-live="polite">
      {blocks.length ? (
        <>
          <p>{t("review.errors.gates")}</p>
          <BlocksList blocks={blocks} />
        </>
      ) : null}
    </div>
  );
}

/** "Photo 2 : autorisation expirée", one line per photo and reason that keeps it from going outside. */
export function BlocksList({ blocks }: { blocks: PhotoBlock[] }) {
  const { t } = useTranslation();
  return (
    <ul>
      {blocks.map((b) => (
        <li key={`${b.photo}-${b.reason}`}>
          {t("review.gates.photo", { n: b.photo })} : {t(`review.gates.${b.reason}`)}
        </li>
      ))}
    </ul>
  );
}
