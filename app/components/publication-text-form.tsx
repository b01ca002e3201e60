import { Form } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { FieldErrors } from "~/utils/forms";
import { PersonalDataNote } from "./personal-data-note";
import { SubmitButton, useMsg } from "./forms";
import { TextWithCounter } from "./text-counter";

/**
 * Changing the text of a publication not yet out (the page's action handles intent=text): the
 * count as the network counts it, and the personal data found in it, to confirm or edit.
 */
export function PublicationTextForm({ text, kind, limit, errors }: { text: string; kind: string; limit: number; errors?: FieldErrors }) {
  const { t } = useTranslation();
  const msg = useMsg();
  return (
    <section className="card" aria-labelledby="edit-text-title">
      <h2 id="edit-text-title">{t("publishing.publication.editText")}</h2>
      <Form method="post" className="stack">
        <TextWithCounter
          id="f-text"
          name="text"
          label={t("publishing.publication.newText")}
          kind={kind}
          limit={limit}
          defaultValue={text}
          error={msg(errors?.text)}
          after={(current) => <PersonalDataNote id="f-personal" text={current} name="confirmPersonalData" error={msg(errors?.confirmPersonalData)} />}
        />
        <div>
          <SubmitButton name="intent" value="text">
            {t("publishing.publication.saveText")}
          </SubmitButton>
        </div>
      </Form>
    </section>
  );
}
