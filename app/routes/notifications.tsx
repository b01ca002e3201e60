import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { SubmitButton } from "~/components/forms";
import { useTranslation } from "react-i18next";
import { requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { listNotifications, markRead } from "~/review/notifications.server";
import { readForm } from "~/utils/forms.server";
import { useDates } from "~/utils/dates";

export const meta: MetaFunction = () => [{ title: "Notifications · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return { items: await listNotifications(db(), user.id) };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const form = await readForm(request);
  const id = Number(form.get("id"));
  await markRead(db(), user.id, Number.isSafeInteger(id) && id > 0 ? [id] : undefined);
  return { ok: true as const };
}

export default function Notifications() {
  const { items } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const dates = useDates();
  const unread = items.some((n) => !n.read_at);
  return (
    <div className="stack">
      <h1>{t("notifications.title")}</h1>
      {unread ? (
        <Form method="post">
          <SubmitButton className="secondary">{t("notifications.markAllRead")}</SubmitButton>
        </Form>
      ) : null}
      {items.length === 0 ? <p>{t("notifications.empty")}</p> : null}
      <ul className="feed">
        {items.map((n) => {
          const data = n.data as Record<string, unknown>;
          const text = t(`notifications.kinds.${n.kind}`, { ...data, title: n.title ?? "", actor: n.actor_name ?? "" });
          return (
            <li key={n.id} className="card">
              {!n.read_at ? <span className="status submitted">{t("notifications.unread")}</span> : null}
              <p>{n.contribution_id ? <Link to={`/contributions/${n.contribution_id}`}>{text}</Link> : text}</p>
              {typeof data.message === "string" ? <p className="reason">« {data.message} »</p> : null}
              {/* A div, not a p: a form cannot sit inside a paragraph. */}
              <div className="meta">
                <time dateTime={new Date(n.created_at).toISOString()}>{dates.dateTime(n.created_at)}</time>
                {!n.read_at ? (
                  <Form method="post">
                    <input type="hidden" name="id" value={n.id} />
                    <SubmitButton className="link-button">{t("notifications.markRead")}</SubmitButton>
                  </Form>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
