import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { FormError, SubmitButton } from "~/components/forms";
import { ResultNotice } from "~/components/notice";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { createCalendarToken, hasCalendarToken, revokeCalendarToken } from "~/publishing/calendar-feed.server";
import { fieldErrors } from "~/utils/errors.server";
import type { FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";

export const meta: MetaFunction = () => [{ title: "Le calendrier dans votre agenda · Relais" }];

/**
 * The comms member's editorial calendar for their calendar application (each member's own address;
 * admins see the queue, not a calendar). On a page of its own, rather than on the queue that comms
 * open all day: set up once, it cost the queue one statement per request (a quarter of its speed,
 * decision 0011).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms");
  return { has: await hasCalendarToken(db(), user) };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, "comms");
  const intent = (await readForm(request)).get("intent");
  // Made (shown this once; the token is stored only as its hash) or revoked.
  if (intent === "calendar") {
    return { ok: true as const, message: "publishing.calendar.created", calendarUrl: (await createCalendarToken(db(), user)).url };
  }
  if (intent === "calendarRevoke") {
    await revokeCalendarToken(db(), user);
    return { ok: true as const, message: "publishing.calendar.revoked" };
  }
  return fieldErrors({ form: "errors.400" });
}

export default function CalendarSubscription() {
  const { has } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const url = result && "calendarUrl" in result ? result.calendarUrl : undefined;
  const errors = result && "errors" in result ? (result.errors as FieldErrors) : undefined;
  return (
    <div className="stack">
      <h1>{t("publishing.calendar.title")}</h1>
      <p>
        <Link to="/publishing">{t("publishing.queue.title")}</Link>
      </p>
      <ResultNotice result={result} />
      <FormError errors={errors} />
      {url ? (
        <p className="field">
          <label htmlFor="calendar-url">{t("publishing.calendar.url")}</label>
          <input id="calendar-url" type="text" readOnly value={url} aria-describedby="calendar-once" />
          <span id="calendar-once" className="hint">
            {t("publishing.calendar.once")}
          </span>
        </p>
      ) : (
        <p>{t(has ? "publishing.calendar.has" : "publishing.calendar.none")}</p>
      )}
      <Form method="post" className="row">
        <SubmitButton name="intent" value="calendar" className="secondary">
          {t(has || url ? "publishing.calendar.replace" : "publishing.calendar.create")}
        </SubmitButton>
        {has || url ? (
          <SubmitButton name="intent" value="calendarRevoke" className="secondary">
            {t("publishing.calendar.revoke")}
          </SubmitButton>
        ) : null}
      </Form>
    </div>
  );
}
