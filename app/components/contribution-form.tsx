import { Form } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { FieldErrors } from "~/utils/forms";
import { describedBy, Field, FieldError, FormError, SubmitButton, useMsg } from "./forms";
import { PhotoDetails, type EditablePhoto } from "./photo-details";
import { RichTextField } from "./rich-text-field";
import { VisibilityChoice } from "./visibility-choice";

export interface ContributionDefaults {
  title?: string;
  bodyJson?: unknown;
  tags?: string[];
  eventDate?: string | null;
  place?: string | null;
  visibilityWish?: "department" | "organisation";
  proposeExternal?: boolean;
}

/** The writing form, shared by "new" and "edit": text, details, photos and their rights. */
export function ContributionForm({
  defaults = {},
  photos = [],
  remainingPhotos,
  maxUploadMb,
  errors,
  actions,
}: {
  defaults?: ContributionDefaults;
  photos?: EditablePhoto[];
  remainingPhotos: number;
  maxUploadMb: number;
  errors?: FieldErrors;
  actions: { intent: string; label: string; secondary?: boolean }[];
}) {
  const { t } = useTranslation();
  const msg = useMsg();
  return (
    <Form method="post" encType="multipart/form-data" noValidate className="stack">
      <FormError errors={errors} />
      <Field name="title" type="text" label={t("contributions.title")} required maxLength={200} defaultValue={defaults.title} errors={errors} />
      <RichTextField name="body" label={t("contributions.body")} defaultValue={defaults.bodyJson} error={msg(errors?.body)} />
      <Field name="tags" type="text" label={t("contributions.tags")} hint={t("contributions.tagsHint")} defaultValue={defaults.tags?.join(", ")} errors={errors} />
      <div className="row">
        <div className="grow">
          <Field name="eventDate" type="date" label={t("contributions.eventDate")} defaultValue={defaults.eventDate ?? ""} errors={errors} />
        </div>
        <div className="grow">
          <Field name="place" type="text" label={t("contributions.place")} maxLength={200} defaultValue={defaults.place ?? ""} errors={errors} />
        </div>
      </div>
      <VisibilityChoice
        name="visibilityWish"
        legend={t("contributions.visibilityWish")}
        labels={{ department: t("contributions.wishDepartment"), organisation: t("contributions.wishOrganisation") }}
        defaultValue={defaults.visibilityWish ?? "department"}
        error={msg(errors?.visibilityWish)}
      />
      <label className="choice">
        <input type="checkbox" name="proposeExternal" defaultChecked={defaults.proposeExternal} />
        {t("contributions.proposeExternal")}
      </label>

      {photos.length > 0 ? (
        <fieldset>
          <legend>{t("contributions.photos")}</legend>
          <div className="photo-grid">
            {photos.map((photo, i) => (
              <PhotoDetails key={photo.id} photo={photo} index={i} errors={errors} />
            ))}
          </div>
        </fieldset>
      ) : null}

      {remainingPhotos > 0 ? (
        <div className="field">
          <label htmlFor="photos">{photos.length ? t("contributions.addPhotos") : t("contributions.photos")}</label>
          <input
            id="photos"
            type="file"
            name="photos"
            multiple
            accept="image/jpeg,image/png,image/webp,image/avif"
            aria-describedby={describedBy("photos-hint", errors?.photos && "photos-error")}
            aria-invalid={errors?.photos ? true : undefined}
          />
          <p className="hint" id="photos-hint">
            {t("contributions.photosHint", { max: maxUploadMb })}
          </p>
          <FieldError id="photos-error" message={msg(errors?.photos)} />
        </div>
      ) : (
        <FieldError id="photos-error" message={msg(errors?.photos)} />
      )}

      <div className="row">
        {actions.map((a) => (
          <SubmitButton key={a.intent} name="intent" value={a.intent} className={a.secondary ? "secondary" : undefined}>
            {a.label}
          </SubmitButton>
        ))}
      </div>
    </Form>
  );
}
