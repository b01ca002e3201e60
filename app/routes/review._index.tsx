import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { DepartmentTagFilters } from "~/components/filters";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { departmentChoices } from "~/organisation/departments.server";
import { inboxFilters, reviewInbox } from "~/review/review.server";
import { popularTags } from "~/contributions/tags.server";

export const meta: MetaFunction = () => [{ title: "À relire · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms");
  const url = new URL(request.url);
  const parsed = inboxFilters.safeParse(Object.fromEntries(url.searchParams));
  const filters = parsed.success ? parsed.data : {};
  const [items, departments, tags] = await Promise.all([reviewInbox(db(), filters), departmentChoices(db()), popularTags(db(), user)]);
  return { items, filters, departments, tags };
}

export default function ReviewInbox() {
  const { items, filters, departments, tags } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const waiting = (hours: number) => (hours >= 48 ? t("review.days", { count: Math.floor(hours / 24) }) : t("review.hours", { count: hours }));
  return (
    <div className="stack">
      <h1>{t("review.title")}</h1>
      <p className="muted">{t("review.intro")}</p>
      <Form method="get" className="row card">
        <DepartmentTagFilters departments={departments} tags={tags} department={filters.department} tag={filters.tag} />
        <div className="field">
          <button type="submit" className="secondary">
            {t("review.filter")}
          </button>
        </div>
      </Form>
      {items.length === 0 ? <p>{t("review.empty")}</p> : null}
      <ul className="feed">
        {items.map((item) => (
          <li key={item.id} className="card">
            <h2>
              <Link to={`/review/${item.id}`}>{item.title}</Link>
            </h2>
            <p className="meta">
              <span>{item.author_name}</span>
              <span>{item.department_name}</span>
              <strong>{t("review.waiting", { duration: waiting(item.waiting_hours) })}</strong>
              {item.photo_count ? <span>{t("contributions.photoCount", { count: item.photo_count })}</span> : null}
              {item.propose_external ? <span>{t("review.proposedExternal")}</span> : null}
            </p>
            {item.tags.length ? (
              <ul className="tags">
                {item.tags.map((tag) => (
                  <li key={tag}>{tag}</li>
                ))}
              </ul>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
