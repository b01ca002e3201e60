import { useTranslation } from "react-i18next";
import { datesIn } from "~/utils/dates";

export interface ReachFigures {
  shares: number;
  likes: number;
  replies: number;
  quotes?: number | null;
}

/** "partagée 12 fois, aimée 30 fois, 2 réponses" (quotes only where the network counts them). */
export function ReachLine({ reach }: { reach: ReachFigures }) {
  const { t } = useTranslation();
  const parts = [t("publishing.reach.shares", { count: reach.shares }), t("publishing.reach.likes", { count: reach.likes }), t("publishing.reach.replies", { count: reach.replies })];
  if (reach.quotes) parts.push(t("publishing.reach.quotes", { count: reach.quotes }));
  return <span className="reach">{parts.join(", ")}</span>;
}

/**
 * "Publiée sur <canal>", each with the post's link when there is one; with its date and its
 * reach when the caller has them (the author's own item, comms).
 */
export function PublishedOn({
  places,
  timeZone,
}: {
  places: { channel: string; url: string | null; publishedAt?: string | Date; reach?: (ReachFigures & { fetchedAt: string | Date }) | null }[];
  /** The organisation's (given, not read from the router: "mes contributions" keeps this markup). */
  timeZone: string;
}) {
  const { t, i18n } = useTranslation();
  const dates = datesIn(i18n.language, timeZone);
  if (places.length === 0) return null;
  return (
    <ul className="published-on">
      {places.map((p, i) => (
        <li key={`${p.channel}-${i}`}>
          {p.url ? <a href={p.url}>{t("publishing.contributor.publishedOn", { channel: p.channel })}</a> : t("publishing.contributor.publishedOn", { channel: p.channel })}
          {p.publishedAt ? (
            <>
              {" "}
              <time dateTime={new Date(p.publishedAt).toISOString()}>{t("publishing.contributor.publishedOnDate", { date: dates.date(p.publishedAt) })}</time>
            </>
          ) : null}
          {p.reach ? (
            <>
              {" : "}
              <ReachLine reach={p.reach} /> <span className="muted">({t("publishing.reach.asOf", { date: dates.dateTime(p.reach.fetchedAt) })})</span>
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
