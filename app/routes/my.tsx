import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { FeedList, nextPageHref } from "~/components/feed-list";
import { requireUser } from "~/auth/guards.server";
import { myContributions } from "~/contributions/feeds.server";
import { db } from "~/db.server";
import { PublishedOn } from "~/components/published-on";
import { publishedPlaces } from "~/publishing/published.server";

export const meta: MetaFunction = () => [{ title: "Mes contributions · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const page = await myContributions(db(), user, new URL(request.url).searchParams.get("cursor"));
  const published = await publishedPlaces(db(), page.items.filter((i) => i.status === "approved").map((i) => i.id));
  return { items: page.items, nextHref: nextPageHref(request, page.next), published };
}

export default function MyContributions() {
  const { items, nextHref, published } = useLoaderData<typeof loader>();
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
      {published.length ? (
        <section aria-labelledby="published-title">
          <h2 id="published-title">{t("publishing.contributor.title")}</h2>
          <ul>
            {items
              .filter((i) => published.some((p) => p.contributionId === i.id))
              .map((i) => (
                <li key={i.id}>
                  <Link to={`/contributions/${i.id}`}>{i.title}</Link>
                  <PublishedOn places={published.filter((p) => p.contributionId === i.id)} />
                </li>
              ))}
          </ul>
        </section>
      ) : null}
      <FeedList items={items} nextHref={nextHref} showStatus empty={t("contributions.my.empty")} />
    </div>
  );
}
