import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { FeedList, nextPageHref } from "~/components/feed-list";
import { DepartmentOptions } from "~/components/filters";
import { contentVersion, requireUser } from "~/auth/guards.server";
import { departmentFeed, organisationFeed } from "~/contributions/feeds.server";
import { readsOtherDepartments } from "~/contributions/visibility.server";
import { db } from "~/db.server";
import { departmentChoices } from "~/organisation/departments.server";
import { pack, shownAsMarkup, unpack } from "~/utils/packed";

export const meta: MetaFunction = () => [{ title: "Fil · Relais" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const url = new URL(request.url);
  const cursor = url.searchParams.get("cursor");
  // Comms and organisation-wide managers choose whose department feed to read (?department=id).
  const departments = readsOtherDepartments(user) ? await departmentChoices(db()) : [];
  let departmentId = user.departmentId;
  const asked = url.searchParams.get("department");
  if (asked !== null) {
    const id = /^\d{1,15}$/.test(asked) ? Number(asked) : null;
    const unknown = id === null || (id !== user.departmentId && departments.length > 0 && !departments.some((d) => d.id === id));
    if (unknown) throw new Response("Not Found", { status: 404 });
    departmentId = id; // departmentFeed answers 403 to whoever may not read it
  }
  const scope = url.searchParams.get("scope") === "organisation" || departmentId === null ? "organisation" : "department";
  const page =
    scope === "organisation"
      ? await organisationFeed(db(), user, cursor, await contentVersion(request))
      : await departmentFeed(db(), user, cursor, departmentId, await contentVersion(request));
  return {
    scope,
    items: shownAsMarkup(page.items, context),
    nextHref: nextPageHref(request, page.next),
    hasDepartment: user.departmentId !== null,
    departments: pack(departments),
    departmentId: scope === "department" ? departmentId : null,
    ownDepartment: departmentId === user.departmentId,
  };
}

export default function Feed() {
  const { scope, items, nextHref, hasDepartment, departments: packedDepartments, departmentId, ownDepartment } = useLoaderData<typeof loader>();
  const departments = unpack(packedDepartments);
  const { t } = useTranslation();
  const other = departments.find((d) => d.id === departmentId && !ownDepartment);
  return (
    <div>
      <h1>{t("contributions.feed.title")}</h1>
      <nav aria-label={t("contributions.feed.title")}>
        <ul className="tabs">
          {hasDepartment ? (
            <li>
              <Link to="/" aria-current={scope === "department" && ownDepartment ? "page" : undefined}>
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
      {departments.length > 0 ? (
        <Form method="get" className="row">
          <div className="field">
            <label htmlFor="feed-department">{t("contributions.feed.chooseDepartment")}</label>
            <select id="feed-department" name="department" defaultValue={other?.id ?? ""} key={other?.id ?? ""}>
              <option value="" disabled>
                {t("contributions.feed.pickDepartment")}
              </option>
              <DepartmentOptions departments={departments} />
            </select>
          </div>
          <button type="submit">{t("contributions.feed.show")}</button>
        </Form>
      ) : null}
      {other ? <h2>{t("contributions.feed.ofDepartment", { name: other.name })}</h2> : null}
      <FeedList items={items} nextHref={nextHref} empty={t("contributions.feed.empty")} />
    </div>
  );
}
