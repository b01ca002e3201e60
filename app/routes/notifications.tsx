import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { SubmitButton } from "~/components/forms";
import { useTranslation } from "react-i18next";
import { requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { listNotifications, markRead } from "~/notifications/notifications.server";
import { readForm } from "~/utils/forms.server";
import { useDates } from "~/utils/dates";
import { fieldErrors } from "~/utils/errors.server";
import { parseForm } from "~/utils/forms";
import { z } from "zod";

export const meta: MetaFunction = () => [{ title: "Notifications · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return { items: await listNotifications(db(), user.id) };
}

const intents = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("read"), id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
  z.object({ intent: z.literal("readAll") }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const parsed = parseForm(intents, await readForm(request));
  if (!parsed.ok) return fieldErrors(parsed.errors);
  await markRead(db(), user, parsed.data.intent === "read" ? [parsed.data.id] : undefined);
  return { ok: true as const };
}

/** The posts already out that an image-rights alert lists, each with its address on its network. */
function PostsToTakeDown({ posts }: { posts: unknown }) {
  const { t } = useTranslation();
  if (!Array.isArray(posts) || posts.length === 0) return null;
  return (
    <>
      <p>{t("notifications.posts")}</p>
      <ul>
        {(posts as { channel: string; title: string; url: string | null }[]).map((p, i) => (
          <li key={i}>
            {p.channel} — « {p.title} » : {p.url && /^https?:\/\//.test(p.url) ? <a href={p.url}>{p.url}</a> : t("consent.noLink")}
          </li>
        ))}
      </ul>
    </>
  );
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
          <SubmitButton className="secondary" name="intent" value="readAll">
            {t("notifications.markAllRead")}
          </SubmitButton>
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
              <p>
                {/* Through /notifications/:id, which marks it read on the way (a full load: that route has no page). */}
                {n.link ? (
                  <Link to={`/notifications/${n.id}`} reloadDocument>
                    {text}
                  </Link>
                ) : (
                  text
                )}
              </p>
              {typeof data.message === "string" ? <p className="reason">« {data.message} »</p> : null}
              <PostsToTakeDown posts={data.posts} />
              {/* A div, not a p: a form cannot sit inside a paragraph. */}
              <div className="meta">
                <time dateTime={new Date(n.created_at).toISOString()}>{dates.dateTime(n.created_at)}</time>
                {!n.read_at ? (
                  <Form method="post">
                    <input type="hidden" name="id" value={n.id} />
                    <SubmitButton className="link-button" name="intent" value="read">{t("notifications.markRead")}</SubmitButton>
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
