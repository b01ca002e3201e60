import { Form } from "@remix-run/react";
import { useTranslation } from "react-i18next";

/**
 * "Record the withdrawal of the authorisation" for a photo with an authorisation in force (the
 * page's action handles intent=withdrawRights; the server checks the role again).
 */
export function WithdrawRightsButton({ photo }: { photo: { id: number; rights_status: string; rights_withdrawn_at: unknown } }) {
  const { t } = useTranslation();
  if (photo.rights_status !== "authorised" || photo.rights_withdrawn_at) return null;
  return (
    <Form method="post">
      <input type="hidden" name="photoId" value={photo.id} />
      <button type="submit" name="intent" value="withdrawRights" className="secondary">
        {t("review.withdrawRights")}
      </button>
    </Form>
  );
}
