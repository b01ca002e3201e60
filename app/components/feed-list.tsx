import type { ReactNode } from "react";
import { Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { datesIn, useOrganisationTimeZone } from "~/utils/dates";
import type { FeedCard } from "~/contributions/card";
import { isEmptyList, unpack, type Packed } from "~/utils/packed";
import { ClientNavigation } from "./client-navigation";
import { KeptMarkup } from "./kept-markup";
import { PhotoImage } from "./photo-image";

/** The same page's URL with the next cursor in place of the current one. */
export function nextPageHref(request: Request, next: string | null): string | null {
  if (!next) return null;
  const url = new URL(request.url);
  url.searchParams.set("cursor", next);
  return `${url.pathname}?${url.searchParams}`;
}

/**
 * A list of contribution cards, with a link to the next page (keyset cursor) when there is one.
 * The cards are the same for everyone who may see them: their markup is kept between requests
 * (KeptMarkup), with plain links made live by ClientNavigation. They come packed (utils/packed.ts): in
 * a whole page as markup only, after a navigation inside it as one string.
 */
export function FeedList<T extends FeedCard>({
  items,
  nextHref,
  showStatus = false,
  empty,
  details,
}: {
  items: Packed<T[]>;
  nextHref: string | null;
  showStatus?: boolean;
  empty: string;
  /**
   * More about each item, at the end of its card ("mes contributions": what became of it). Kept
   * with the cards: it may read only the item and the language (no router hook).
   */
  details?: (item: T, timeZone: string) => ReactNode;
}) {
  const { t } = useTranslation();
  const timeZone = useOrganisationTimeZone();
  if (isEmptyList(items)) return <p>{empty}</p>;
  return (
    <>
      <ClientNavigation>
        <KeptMarkup as="ul" className="feed" depends={[items, showStatus, timeZone]}>
          <FeedCards packed={items} showStatus={showStatus} timeZone={timeZone} details={details} />
        </KeptMarkup>
      </ClientNavigation>
      {nextHref ? (
        <p>
          <Link className="button secondary" to={nextHref}>
            {t("contributions.more")}
          </Link>
        </p>
      ) : null}
    </>
  );
}

/**
 * The cards: a pure function of their props and the language. Unpacked here, so that only a render
 * of their markup does (on the server, most requests reuse it: "mes contributions" parsed its page
 * each time for nothing).
 */
function FeedCards<T extends FeedCard>({ packed, showStatus, timeZone, details }: { packed: Packed<T[]>; showStatus: boolean; timeZone: string; details?: (item: T, timeZone: string) => ReactNode }) {
  const { t, i18n } = useTranslation();
  const items = unpack(packed);
  const dates = datesIn(i18n.language, timeZone);
  return items.map((item) => (
    <li key={item.id} className={`card feed-card${item.cover ? " has-cover" : ""}`}>
      {item.cover ? <PhotoImage photo={item.cover} rendition="thumb" /> : null}
      <div>
        {showStatus ? <span className={`status ${item.status}`}>{t(`contributions.status.${item.status}`)}</span> : null}
        <h2>
          <a href={`/contributions/${item.id}`}>{item.title}</a>
        </h2>
        <p className="meta">
          <span>{item.author_name}</span>
          <span>{item.department_name}</span>
          <time dateTime={new Date(item.approved_at ?? item.updated_at).toISOString()}>{dates.date(item.approved_at ?? item.updated_at)}</time>
        </p>
        <p className="prose">{item.excerpt}</p>
        <p className="meta">
          {item.photo_count ? <span>{t("contributions.photoCount", { count: item.photo_count })}</span> : null}
          {item.thanks_count ? <span>{t("thanks.count", { count: item.thanks_count })}</span> : null}
          {item.comment_count ? <span>{t("comments.count", { count: item.comment_count })}</span> : null}
        </p>
        {details?.(item, timeZone)}
      </div>
    </li>
  ));
}
