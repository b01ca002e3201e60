import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useActionData, useFormAction, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { ClientNavigation } from "~/components/client-navigation";
import { FormError } from "~/components/forms";
import { KeptMarkup } from "~/components/kept-markup";
import { CalendarDays, QueueRows } from "~/components/publishing-queue";
import { Notice, ResultNotice } from "~/components/notice";
import { contentVersion, requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { env } from "~/env.server";
import { cancelPublication, retryPublication } from "~/publishing/queue.server";
import { queuePage } from "~/publishing/queue-page.server";
import type { QueueView } from "~/publishing/queue-view.server";
import { attempt, fieldErrors } from "~/utils/errors.server";
import type { FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";
import { useDates, useOrganisationTimeZone } from "~/utils/dates";
import { isEmptyList, pack, shownAsMarkup } from "~/utils/packed";

export const meta: MetaFunction = () => [{ title: "Publications · Relais" }];

const VIEWS: QueueView[] = ["list", "week", "month"];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  const params = new URL(request.url).searchParams;
  const view = VIEWS.find((v) => v === params.get("view")) ?? "list";
  const page = await queuePage(db(), user, view, params, env().ORGANISATION_TIME_ZONE, await contentVersion(request));
  // The same rows at each request while nothing changes: packed, sent as markup in a whole page (utils/packed.ts).
  // The calendar address is each comms member's own (admins see the queue, not a calendar).
  return { ...page, items: shownAsMarkup(pack(page.items), context), overflow: shownAsMarkup(pack(page.overflow), context), calendarLink: user.role === "comms" };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  const form = await readForm(request);
  const intent = form.get("intent");
  const id = z.coerce.number().int().positive().safeParse(form.get("id"));
  if (!id.success) return fieldErrors({ form: "errors.400" });
  const run = intent === "retry" ? retryPublication : intent === "cancel" ? cancelPublication : null;
  if (!run) return fieldErrors({ form: "errors.400" });
  const result = await attempt(() => run(db(), user, id.data));
  if (!("value" in result)) return result;
  return { ok: true as const, message: intent === "retry" ? "publishing.queue.retried" : "publishing.queue.cancelled" };
}

/** A link to the list with the same filters, at another place ("plus anciennes", "plus récentes"). */
function listHref(filter: { day: string | null; channel: number | null; attention: boolean }, at: string, place: Record<string, string>): string {
  const q = new URLSearchParams({ view: "list", at });
  if (filter.day) q.set("day", filter.day);
  if (filter.channel) q.set("channel", String(filter.channel));
  if (filter.attention) q.set("attention", "1");
  for (const [k, v] of Object.entries(place)) q.set(k, v);
  return `/publishing?${q}`;
}

/** "plus anciennes / plus récentes": plain links, so paging works without JavaScript. */
function Pager({ list, at, label }: { list: { earlier: string | null; later: string | null; filter: { day: string | null; channel: number | null; attention: boolean } }; at: string; label: string }) {
  const { t } = useTranslation();
  if (!list.earlier && !list.later) return null;
  return (
    <nav aria-label={label} className="row">
      {list.earlier ? <Link to={listHref(list.filter, at, { before: list.earlier })}>← {t("publishing.queue.earlier")}</Link> : null}
      {list.later ? <Link to={listHref(list.filter, at, { after: list.later })}>{t("publishing.queue.later")} →</Link> : null}
    </nav>
  );
}

export default function Queue() {
  const { view, range, items: packedItems, overflow: packedOverflow, list, calendarLink } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const dates = useDates();
  const errors = result && "errors" in result ? (result.errors as FieldErrors) : undefined;
  const [params] = useSearchParams();
  const created = Number(params.get("created"));
  const formAction = useFormAction();
  const timeZone = useOrganisationTimeZone();
  return (
    <div className="stack">
      <h1>{t("publishing.queue.title")}</h1>
      <p className="row">
        <Link to="/publishing/channels">{t("publishing.channels.title")}</Link>
        {calendarLink ? <Link to="/publishing/calendar">{t("publishing.calendar.title")}</Link> : null}
      </p>
      {created > 0 && !result ? (
        <Notice>{t("publishing.create.created", { count: created })}</Notice>
      ) : null}
      <ResultNotice result={result} />
      <FormError errors={errors} />
      <nav aria-label={t("publishing.queue.views")} className="row">
        {VIEWS.map((v) => (
          <Link key={v} to={`/publishing?view=${v}&at=${range.start}`} aria-current={v === view ? "page" : undefined}>
            {t(`publishing.queue.view.${v}`)}
          </Link>
        ))}
      </nav>
      {list ? (
        <>
          {list.filter.day || list.filter.channel || list.filter.attention ? (
            <p className="row">
              <span>
                {list.filter.attention
                  ? t("publishing.queue.attentionOnly")
                  : t("publishing.queue.filtered", {
                      day: list.filter.day ? dates.date(list.filter.day, "long") : t("publishing.queue.anyDay"),
                      channel: list.filter.channelName ?? t("publishing.queue.anyChannel"),
                    })}
              </span>
              <Link to={`/publishing?view=list&at=${range.start}`}>{t("publishing.queue.allPublications")}</Link>
            </p>
          ) : (
            <p>{t("publishing.queue.from", { date: dates.date(range.start) })}</p>
          )}
          {list.moreAttention ? (
            <p>
              <Link to="/publishing?view=list&attention=1">{t("publishing.queue.allAttention")}</Link>
            </p>
          ) : null}
          <Pager list={list} at={range.start} label={t("publishing.queue.pages")} />
        </>
      ) : (
        <nav aria-label={t("publishing.queue.period")} className="row">
          <Link to={`/publishing?view=${view}&at=${range.previous}`}>← {t("publishing.queue.previous")}</Link>
          <span>{t("publishing.queue.from", { date: dates.date(range.start) })}</span>
          <Link to={`/publishing?view=${view}&at=${range.next}`}>{t("publishing.queue.next")} →</Link>
        </nav>
      )}
      {list ? (
        !isEmptyList(packedItems) ? (
          <>
          <ClientNavigation className="table-wrap">
            <table>
              <caption className="visually-hidden">{t("publishing.queue.title")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("publishing.queue.time")}</th>
                  <th scope="col">{t("publishing.queue.channel")}</th>
                  <th scope="col">{t("publishing.queue.contribution")}</th>
                  <th scope="col">{t("publishing.queue.state")}</th>
                  <th scope="col">{t("common.actions")}</th>
                </tr>
              </thead>
              {/* The same rows for every comms member: their markup is kept between requests. */}
              <KeptMarkup as="tbody" depends={[packedItems, formAction, timeZone]}>
                <QueueRows items={packedItems} formAction={formAction} timeZone={timeZone} />
              </KeptMarkup>
            </table>
          </ClientNavigation>
          <Pager list={list} at={range.start} label={t("publishing.queue.pagesBottom")} />
          </>
        ) : (
          <p>{t("publishing.queue.empty")}</p>
        )
      ) : (
        <ClientNavigation>
          <KeptMarkup as="ol" className={`calendar calendar-${view}`} aria-label={t(`publishing.queue.view.${view}`)} depends={[range.days, packedItems, packedOverflow, timeZone]}>
            <CalendarDays days={range.days} items={packedItems} overflow={packedOverflow} timeZone={timeZone} />
          </KeptMarkup>
        </ClientNavigation>
      )}
    </div>
  );
}
