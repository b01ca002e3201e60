import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useFormAction, useLoaderData, useSearchParams } from "@remix-run/react";
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
  // The rows' buttons send their publication's id under their intent (components/publishing-queue.tsx).
  const intent = INTENTS.find((i) => form.has(i));
  if (!intent) return fieldErrors({ form: "errors.400" });
  const id = z.coerce.number().int().positive().safeParse(form.get(intent));
  if (!id.success) return fieldErrors({ form: "errors.400" });
  const result = await attempt(() => (intent === "retry" ? retryPublication : cancelPublication)(db(), user, id.data));
  if (!("value" in result)) return result;
  return { ok: true as const, message: intent === "retry" ? "publishing.queue.retried" : "publishing.queue.cancelled" };
}

const INTENTS = ["retry", "cancel"] as const;

/** "plus anciennes / plus récentes": plain links (the loader made them), so paging works without JavaScript. */
function Pager({ list, label }: { list: { earlier: string | null; later: string | null }; label: string }) {
  const { t } = useTranslation();
  if (!list.earlier && !list.later) return null;
  return (
    <nav aria-label={label} className="row">
      {list.earlier ? <a href={list.earlier}>← {t("publishing.queue.earlier")}</a> : null}
      {list.later ? <a href={list.later}>{t("publishing.queue.later")} →</a> : null}
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
  // Plain links and forms, made live by one ClientNavigation: a router <Link> costs ~10 µs a render
  // on the server, and this page had nine (decision 0011, thirteenth pass).
  return (
    <ClientNavigation className="stack">
      <h1>{t("publishing.queue.title")}</h1>
      <p className="row">
        <a href="/publishing/channels">{t("publishing.channels.title")}</a>
        {calendarLink ? <a href="/publishing/calendar">{t("publishing.calendar.title")}</a> : null}
      </p>
      {created > 0 && !result ? (
        <Notice>{t("publishing.create.created", { count: created })}</Notice>
      ) : null}
      <ResultNotice result={result} />
      <FormError errors={errors} />
      <nav aria-label={t("publishing.queue.views")} className="row">
        {VIEWS.map((v) => (
          <a key={v} href={`/publishing?view=${v}&at=${range.start}`} aria-current={v === view ? "page" : undefined}>
            {t(`publishing.queue.view.${v}`)}
          </a>
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
              <a href={`/publishing?view=list&at=${range.start}`}>{t("publishing.queue.allPublications")}</a>
            </p>
          ) : (
            <p>{t("publishing.queue.from", { date: dates.date(range.start) })}</p>
          )}
          {list.moreAttention ? (
            <p>
              <a href="/publishing?view=list&attention=1">{t("publishing.queue.allAttention")}</a>
            </p>
          ) : null}
          <Pager list={list} label={t("publishing.queue.pages")} />
        </>
      ) : (
        <nav aria-label={t("publishing.queue.period")} className="row">
          <a href={`/publishing?view=${view}&at=${range.previous}`}>← {t("publishing.queue.previous")}</a>
          <span>{t("publishing.queue.from", { date: dates.date(range.start) })}</span>
          <a href={`/publishing?view=${view}&at=${range.next}`}>{t("publishing.queue.next")} →</a>
        </nav>
      )}
      {list ? (
        !isEmptyList(packedItems) ? (
          <>
            {/* One form for every row's buttons: each sends its publication's id under its intent. */}
            <form method="post" action={formAction} className="table-wrap">
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
                <KeptMarkup as="tbody" depends={[packedItems, timeZone]}>
                  <QueueRows items={packedItems} timeZone={timeZone} />
                </KeptMarkup>
              </table>
            </form>
            <Pager list={list} label={t("publishing.queue.pagesBottom")} />
          </>
        ) : (
          <p>{t("publishing.queue.empty")}</p>
        )
      ) : (
        <KeptMarkup as="ol" className={`calendar calendar-${view}`} aria-label={t(`publishing.queue.view.${view}`)} depends={[range.days, packedItems, packedOverflow, timeZone]}>
          <CalendarDays days={range.days} items={packedItems} overflow={packedOverflow} timeZone={timeZone} />
        </KeptMarkup>
      )}
    </ClientNavigation>
  );
}
