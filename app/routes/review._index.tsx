import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { ClientNavigation } from "~/components/client-navigation";
import { DepartmentTagFilters } from "~/components/filters";
import { KeptMarkup } from "~/components/kept-markup";
import { contentVersion, requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { departmentChoices } from "~/organisation/departments.server";
import { reviewInbox } from "~/review/review.server";
import { departmentTagFilters } from "~/contributions/search.server";
import { popularTags } from "~/contributions/tags.server";
import { parseForm, withoutNul } from "~/utils/forms";
import { isEmptyList, pack, shownAsMarkup, unpack } from "~/utils/packed";

export const meta: MetaFunction = () => [{ title: "À relire · Relais" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms");
  const url = new URL(request.url);
  const raw = Object.fromEntries(url.searchParams);
  const parsed = parseForm(departmentTagFilters, raw);
  const [inbox, departments, tags] = await Promise.all([
    parsed.ok ? reviewInbox(db(), parsed.data, url.searchParams.get("cursor"), await contentVersion(request)) : { items: [], waiting: 0, moreWaiting: false, next: null },
    departmentChoices(db()),
    popularTags(db(), user),
  ]);
  // A malformed filter (a hand-edited URL): 400, its message by the field, the form as sent.
  const filters: { department?: number | string; tag?: string } = parsed.ok ? parsed.data : { department: withoutNul(raw.department), tag: withoutNul(raw.tag) };
  // The pages' links keep the filters; the first page is the list without a cursor.
  const page = (cursor: string | null) => {
    const query = new URLSearchParams();
    if (filters.department) query.set("department", String(filters.department));
    if (filters.tag) query.set("tag", filters.tag);
    if (cursor) query.set("cursor", cursor);
    return `/review${query.size ? `?${query}` : ""}`;
  };
  return data(
    {
      ...inbox,
      // The same rows at each request while nothing changes: packed, sent as markup in a whole page (utils/packed.ts).
      items: shownAsMarkup(pack(inbox.items), context),
      next: inbox.next ? page(inbox.next) : null,
      first: url.searchParams.has("cursor") ? page(null) : null,
      filters,
      departments: shownAsMarkup(pack(departments), context),
      tags: shownAsMarkup(pack(tags), context),
      errors: parsed.ok ? null : parsed.errors,
    },
    { status: parsed.ok ? 200 : 400 },
  );
}

type InboxItems = ReturnType<typeof useLoaderData<typeof loader>>["items"];

/** The inbox's rows: a pure function of the items and the language (kept markup). */
function ReviewRows({ packed }: { packed: InboxItems }) {
  const { t } = useTranslation();
  const items = unpack(packed);
  // French counts 0 as singular ("0 heure"): under an hour has its own words.
  const waiting = (hours: number) =>
    hours < 1 ? t("review.lessThanHour") : hours >= 48 ? t("review.days", { count: Math.floor(hours / 24) }) : t("review.hours", { count: hours });
  return items.map((item) => (
    <li key={item.id} className="card">
      <h2>
        <a href={`/review/${item.id}`}>{item.title}</a>
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
  ));
}

export default function ReviewInbox() {
  const { items: packedItems, waiting: waitingCount, moreWaiting, next, first, filters, departments, tags, errors } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <div className="stack">
      <h1>{t("review.title")}</h1>
      <p className="muted">{t("review.intro")}</p>
      <Form method="get" className="row card">
        <DepartmentTagFilters departments={departments} tags={tags} department={filters.department} tag={filters.tag} errors={errors} />
        <div className="field">
          <button type="submit" className="secondary">
            {t("review.filter")}
          </button>
        </div>
      </Form>
      {isEmptyList(packedItems) ? <p>{t("review.empty")}</p> : <p>{t(moreWaiting ? "review.waitingMore" : "review.waitingCount", { count: waitingCount })}</p>}
      {/* The same rows for every comms member: their markup is kept between requests. */}
      <ClientNavigation>
        <KeptMarkup as="ul" className="feed" depends={packedItems}>
          <ReviewRows packed={packedItems} />
        </KeptMarkup>
      </ClientNavigation>
      {next || first ? (
        <nav aria-label={t("review.pages")} className="row">
          {first ? <Link to={first}>← {t("review.first")}</Link> : null}
          {next ? <Link to={next}>{t("review.next")} →</Link> : null}
        </nav>
      ) : null}
    </div>
  );
}
