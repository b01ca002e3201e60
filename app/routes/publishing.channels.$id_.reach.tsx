import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { channelReach } from "~/publishing/reach.server";
import { idParam } from "~/utils/errors.server";
import { useDates } from "~/utils/dates";

export const meta: MetaFunction = () => [{ title: "Audience d'un canal · Relais" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  return channelReach(db(), user, idParam(params.id));
}

/** A channel's posts of the last 90 days with their figures, newest first (comms): which subjects the public shares. */
export default function ChannelReach() {
  const { channel, items } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const dates = useDates();
  const counted = channel.kind === "mastodon" || channel.kind === "bluesky";
  const figure = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));
  return (
    <div className="stack">
      <p>
        <Link to={`/publishing/channels/${channel.id}`}>← {channel.name}</Link>
      </p>
      <h1>{t("publishing.reach.channelTitle", { channel: channel.name })}</h1>
      <p>{t("publishing.reach.channelIntro")}</p>
      {counted ? null : <p className="notice">{t("publishing.reach.noFigures")}</p>}
      {items.length === 0 ? (
        <p>{t("publishing.reach.none")}</p>
      ) : (
        <div className="table-wrap">
          <table className="responsive">
            <caption className="visually-hidden">{t("publishing.reach.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("publishing.reach.date")}</th>
                <th scope="col">{t("publishing.reach.subject")}</th>
                <th scope="col">{t("publishing.reach.sharesCol")}</th>
                <th scope="col">{t("publishing.reach.likesCol")}</th>
                <th scope="col">{t("publishing.reach.repliesCol")}</th>
                {channel.kind === "bluesky" ? <th scope="col">{t("publishing.reach.quotesCol")}</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.publicationId}>
                  <td data-label={t("publishing.reach.date")}>
                    <time dateTime={new Date(item.publishedAt).toISOString()}>{dates.date(item.publishedAt)}</time>
                  </td>
                  <td data-label={t("publishing.reach.subject")}>
                    <Link to={`/publishing/${item.publicationId}`}>{item.title}</Link>
                    {item.tags.length ? <span className="muted"> · {item.tags.join(", ")}</span> : null}
                    {item.url ? (
                      <>
                        {" · "}
                        <a href={item.url}>{t("publishing.queue.seePost")}</a>
                      </>
                    ) : null}
                    {item.gone ? <span className="muted"> ({t("publishing.reach.goneShort")})</span> : null}
                  </td>
                  {item.reach ? (
                    <>
                      <td data-label={t("publishing.reach.sharesCol")}>{figure(item.reach.shares)}</td>
                      <td data-label={t("publishing.reach.likesCol")}>{figure(item.reach.likes)}</td>
                      <td data-label={t("publishing.reach.repliesCol")}>{figure(item.reach.replies)}</td>
                      {channel.kind === "bluesky" ? <td data-label={t("publishing.reach.quotesCol")}>{figure(item.reach.quotes)}</td> : null}
                    </>
                  ) : (
                    <td colSpan={channel.kind === "bluesky" ? 4 : 3} className="muted">
                      {counted ? t("publishing.reach.notRead") : ""}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
