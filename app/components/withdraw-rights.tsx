import { Form } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { SubmitButton } from "./forms";

/**
 * "Record the withdrawal of the authorisation" for a photo with an authorisation in force (the
 * page's action handles intent=withdrawRights; the server checks the role again). `n` is the
 * photo's position, said to screen readers: several of these buttons share a page.
 */
export function WithdrawRightsButton({ photo, n }: { photo: { id: number; rights_status: string; rights_withdrawn_at: unknown }; n: number }) {
  const { t } = useTranslation();
  if (photo.rights_status !== "authorised" || photo.rights_withdrawn_at) return null;
  return (
    <Form method="post">
      <input type="hidden" name="photoId" value={photo.id} />
      <SubmitButton name="intent" value="withdrawRights" className="secondary">
        {t("review.withdrawRights")}
        <span className="visually-hidden"> {t("review.withdrawRightsOf", { n })}</span>
      </SubmitButton>
    </Form>
  );
}
