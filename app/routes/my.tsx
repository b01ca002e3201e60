import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { FeedList, nextPageHref } from "~/components/feed-list";
import { contentVersion, requireUser } from "~/auth/guards.server";
import { myContributions } from "~/contributions/feeds.server";
import { db } from "~/db.server";
import { PublishedOn } from "~/components/published-on";
import { shownAsMarkup } from "~/utils/packed";

export const meta: MetaFunction = () => [{ title: "Mes contributions · Relais" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const page = await myContributions(db(), user, new URL(request.url).searchParams.get("cursor"), await contentVersion(request));
  return { items: shownAsMarkup(page.items, context), nextHref: nextPageHref(request, page.next) };
}

export default function MyContributions() {
  const { items, nextHref } = useLoaderData<typeof loader>();
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
        details={(item, timeZone) => {
          const others = item.thanks_count - item.thankers.length;
          if (!item.last_decision?.message && item.published.length === 0 && item.thankers.length === 0) return null;
          return (
            <div className="became-of" aria-label={t("contributions.my.becameOf")} role="group">
              {item.last_decision?.message ? (
                <p className="reason">
                  {t(`contributions.status.${item.last_decision.kind}`)} : « {item.last_decision.message} »
                </p>
              ) : null}
              <PublishedOn places={item.published} timeZone={timeZone} />
              {item.thankers.length ? (
                <p>
                  {others > 0
                    ? t("contributions.my.thankedByMore", { names: item.thankers.join(", "), count: others })
                    : t("contributions.my.thankedBy", { names: item.thankers.join(", ") })}
                </p>
              ) : null}
            </div>
          );
        }}
      />
    </div>
  );
}
