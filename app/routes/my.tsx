import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { FeedList, nextPageHref } from "~/components/feed-list";
import { requireUser } from "~/auth/guards.server";
import { thankersOf } from "~/contributions/comments.server";
import { myContributions } from "~/contributions/feeds.server";
import { db } from "~/db.server";
import { PublishedOn } from "~/components/published-on";
import { publishedPlaces } from "~/publishing/published.server";
import { pack } from "~/utils/packed";

export const meta: MetaFunction = () => [{ title: "Mes contributions · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const page = await myContributions(db(), user, new URL(request.url).searchParams.get("cursor"));
  // What became of each item of the page, in one query each (the page holds 20): where it was
  // published with its reach (they are the viewer's own), and who thanked them.
  const ids = page.items.map((i) => i.id);
  const [published, thankers] = await Promise.all([publishedPlaces(db(), ids, { withReach: true }), thankersOf(db(), ids)]);
  return { items: pack(page.items), nextHref: nextPageHref(request, page.next), published, thankers };
}

export default function MyContributions() {
  const { items, nextHref, published, thankers } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const { t } = useTranslation();
  return (
    <div className="stack">
      <h1>{t("contributions.my.title")}</h1>
      {params.get("done") === "deleted" ? (
        <p className="notice" role="status">
          {t("contributions.deleted")}
        </p>
      ) : null}
      <p>
        <Link className="button" to="/contributions/new">
          {t("contributions.my.write")}
        </Link>
      </p>
      <FeedList
        items={items}
        nextHref={nextHref}
        showStatus
        empty={t("contributions.my.empty")}
        detailsDepend={[published, thankers]}
        details={(item, timeZone) => {
          const places = published.filter((p) => p.contributionId === item.id);
          const names = thankers.find((x) => x.contributionId === item.id)?.names ?? [];
          const others = (item.thanks_count ?? 0) - names.length;
          if (places.length === 0 && names.length === 0) return null;
          return (
            <div className="became-of" aria-label={t("contributions.my.becameOf")} role="group">
              <PublishedOn places={places} timeZone={timeZone} />
              {names.length ? (
                <p>{others > 0 ? t("contributions.my.thankedByMore", { names: names.join(", "), count: others }) : t("contributions.my.thankedBy", { names: names.join(", ") })}</p>
              ) : null}
            </div>
          );
        }}
      />
    </div>
  );
}
