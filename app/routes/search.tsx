import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { ClientNavigation } from "~/components/client-navigation";
import { KeptMarkup } from "~/components/kept-markup";
import { useTranslation } from "react-i18next";
import { nextPageHref } from "~/components/feed-list";
import { DepartmentTagFilters } from "~/components/filters";
import { FieldError, useMsg } from "~/components/forms";
import { contentVersion, requireUser } from "~/auth/guards.server";
import { searchPage, searchParamsSchema, type SearchParams } from "~/contributions/search.server";
import { db } from "~/db.server";
import { datesIn, useOrganisationTimeZone } from "~/utils/dates";
import { parseForm, withoutNul } from "~/utils/forms";
import { isEmptyList, pack, shownAsMarkup, unpack } from "~/utils/packed";

export const meta: MetaFunction = () => [{ title: "Recherche · Relais" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const url = new URL(request.url);
  const raw = Object.fromEntries(url.searchParams);
  const parsed = parseForm(searchParamsSchema, raw);
  const searched = url.searchParams.size > 0;
  const { departments, tags, results } = await searchPage(db(), user, searched && parsed.ok ? parsed.data : null, await contentVersion(request));
  // A malformed filter (a hand-edited URL) is answered 400 with its message by the field, the
  // form filled as it was sent.
  const values: Partial<Record<keyof SearchParams, string | number>> = parsed.ok
    ? parsed.data
    : Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, withoutNul(v).slice(0, 200)]));
  return data(
    {
      values,
      errors: parsed.ok ? null : parsed.errors,
      departments: shownAsMarkup(pack(departments), context),
      tags: shownAsMarkup(pack(tags), context),
      items: results ? shownAsMarkup(pack(results.items), context) : null,
      nextHref: results ? nextPageHref(request, results.next) : null,
    },
    { status: parsed.ok ? 200 : 400 },
  );
}

type Result = NonNullable<NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["items"]>["rows"]>[number];

type PackedResults = NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["items"]>;

/**
 * The results: a pure function of the items, the time zone and the language (kept markup, plain
 * links); unpacked only when their markup is made.
 */
function SearchResults({ packed, timeZone }: { packed: PackedResults; timeZone: string }) {
  const { t, i18n } = useTranslation();
  const items: Result[] = unpack(packed);
  const dates = datesIn(i18n.language, timeZone);
  return items.map((item) => (
    <li key={item.id} className="card">
      <span className={`status ${item.status}`}>{t(`contributions.status.${item.status}`)}</span>
      <h3>
        <a href={`/contributions/${item.id}`}>
          {item.titleParts.map((part, i) => (part.hit ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}
        </a>
      </h3>
      <p className="meta">
        <span>{item.author_name}</span>
        <span>{item.department_name}</span>
        <time dateTime={new Date(item.updated_at).toISOString()}>{dates.date(item.updated_at)}</time>
      </p>
      <p className="prose">{item.excerpt.map((part, i) => (part.hit ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}</p>
    </li>
  ));
}

export default function Search() {
  const { values, errors, departments, tags, items: packedItems, nextHref } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const timeZone = useOrganisationTimeZone();
  const msg = useMsg();
  /** aria attributes and the message of a field refused in the URL. */
  const invalid = (name: keyof SearchParams) =>
    errors?.[name] ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {};
  const error = (name: keyof SearchParams) => <FieldError id={`${name}-error`} message={msg(errors?.[name])} />;
  return (
    <div className="stack">
      <h1>{t("search.title")}</h1>
      <Form method="get" role="search" className="card stack">
        <div className="field">
          <label htmlFor="q">{t("search.q")}</label>
          <input id="q" type="search" name="q" defaultValue={values.q} maxLength={200} {...invalid("q")} />
          {error("q")}
        </div>
        <div className="row">
          <DepartmentTagFilters departments={departments} tags={tags} department={values.department} tag={values.tag} errors={errors} />
          <div className="grow field">
            <label htmlFor="status">{t("search.status")}</label>
            <select id="status" name="status" defaultValue={values.status ?? ""} {...invalid("status")}>
              <option value="">{t("search.any")}</option>
              {(["draft", "submitted", "changes_requested", "approved", "rejected", "archived"] as const).map((s) => (
                <option key={s} value={s}>
                  {t(`contributions.status.${s}`)}
                </option>
              ))}
            </select>
            {error("status")}
          </div>
        </div>
        <div className="row">
          <div className="grow field">
            <label htmlFor="from">{t("search.from")}</label>
            <input id="from" type="date" name="from" defaultValue={values.from ?? ""} {...invalid("from")} />
            {error("from")}
          </div>
          <div className="grow field">
            <label htmlFor="to">{t("search.to")}</label>
            <input id="to" type="date" name="to" defaultValue={values.to ?? ""} {...invalid("to")} />
            {error("to")}
          </div>
        </div>
        <div>
          <button type="submit">{t("search.submit")}</button>
        </div>
      </Form>

      {packedItems ? (
        <section aria-labelledby="results-title">
          <h2 id="results-title">{t("search.results")}</h2>
          {isEmptyList(packedItems) ? <p>{t("search.empty")}</p> : null}
          <ClientNavigation>
            <KeptMarkup as="ul" className="feed" depends={[packedItems, timeZone]}>
              <SearchResults packed={packedItems} timeZone={timeZone} />
            </KeptMarkup>
          </ClientNavigation>
          {nextHref ? (
            <Link className="button secondary" to={nextHref}>
              {t("contributions.more")}
            </Link>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}
