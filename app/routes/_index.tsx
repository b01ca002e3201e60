import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { FeedList, nextPageHref } from "~/components/feed-list";
import { requireUser } from "~/auth/guards.server";
import { departmentFeed, organisationFeed } from "~/contributions/feeds.server";
import { db } from "~/db.server";

export const meta: MetaFunction = () => [{ title: "Fil · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const url = new URL(request.url);
  const scope = url.searchParams.get("scope") === "organisation" || user.departmentId === null ? "organisation" : "department";
  const cursor = url.searchParams.get("cursor");
  const page = scope === "organisation" ? await organisationFeed(db(), user, cursor) : await departmentFeed(db(), user, cursor);
  return { scope, items: page.items, nextHref: nextPageHref(request, page.next), hasDepartment: user.departmentId !== null };
}

export default function Feed() {
  const { scope, items, nextHref, hasDepartment } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <div>
      <h1>{t("contributions.feed.title")}</h1>
      <nav aria-label={t("contributions.feed.title")}>
        <ul className="tabs">
          {hasDepartment ? (
            <li>
              <Link to="/" aria-current={scope === "department" ? "page" : undefined}>
                {t("contributions.feed.department")}
              </Link>
            </li>
          ) : null}
          <li>
            <Link to="/?scope=organisation" aria-current={scope === "organisation" ? "page" : undefined}>
              {t("contributions.feed.organisation")}
            </Link>
          </li>
        </ul>
      </nav>
      <FeedList items={items} nextHref={nextHref} empty={t("contributions.feed.empty")} />
    </div>
  );
}
