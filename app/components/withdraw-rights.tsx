import { Form } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { SubmitButton } from "./forms";

/**
 * "Record the withdrawal of the authorisation" for a photo with an authorisation in force (the
 * page's action handles intent=withdrawRights; the server checks the role again). `n` is the
 * photo's position, said to screen readers: several of these buttons share a page. Given the form's
 * `action`, it is a plain form, for kept markup inside a ClientNavigation (no router hook).
 */
export function WithdrawRightsButton({ photo, n, action }: { photo: { id: number; rights_status: string; rights_withdrawn_at: unknown }; n: number; action?: string }) {
  const { t } = useTranslation();
  if (photo.rights_status !== "authorised" || photo.rights_withdrawn_at) return null;
  const label = (
    <>
      {t("review.withdrawRights")}
      <span className="visually-hidden"> {t("review.withdrawRightsOf", { n })}</span>
    </>
  );
  const id = <input type="hidden" name="photoId" value={photo.id} />;
  return action === undefined ? (
    <Form method="post">
      {id}
      <SubmitButton name="intent" value="withdrawRights" className="secondary">
        {label}
      </SubmitButton>
    </Form>
  ) : (
    <form method="post" action={action}>
      {id}
      <button type="submit" name="intent" value="withdrawRights" className="secondary">
        {label}
      </button>
    </form>
  );
}
