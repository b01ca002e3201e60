import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { FormError, SubmitButton, useMsg } from "~/components/forms";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { env } from "~/env.server";
import { createCalendarToken, hasCalendarToken, revokeCalendarToken } from "~/publishing/calendar-feed.server";
import { cancelPublication, listQueue, retryPublication, type QueueItem } from "~/publishing/queue.server";
import { localDay, rangeOf, type QueueView } from "~/publishing/queue-view.server";
import { attempt, fieldErrors } from "~/utils/errors.server";
import type { FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";
import { useDates } from "~/utils/dates";

export const meta: MetaFunction = () => [{ title: "Publications · Relais" }];

const VIEWS: QueueView[] = ["list", "week", "month"];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  const params = new URL(request.url).searchParams;
  const view = VIEWS.find((v) => v === params.get("view")) ?? "list";
  const timeZone = env().ORGANISATION_TIME_ZONE;
  const range = rangeOf(view, params.get("at"), timeZone);
  // The list starts with what needs comms: failures and holds, whatever their time.
  const [items, attention, calendar] = await Promise.all([
    listQueue(db(), user, { from: range.from, to: range.to }),
    view === "list" ? listQueue(db(), user, { states: ["failed", "held"], to: range.from }) : Promise.resolve([]),
    // The calendar address is each comms member's own (admins see the queue, not a calendar).
    user.role === "comms" ? hasCalendarToken(db(), user) : Promise.resolve(null),
  ]);
  const all = [...attention, ...items];
  return {
    view,
    range: { start: range.start, previous: range.previous, next: range.next, days: range.days },
    items: all.map((i) => ({ ...i, day: localDay(i.scheduledAt, timeZone) })),
    calendar,
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  const form = await readForm(request);
  const intent = form.get("intent");
  // The calendar address: made (shown this once; the token is stored only as its hash) or revoked.
  if (intent === "calendar" && user.role === "comms") {
    return { ok: true as const, message: "publishing.calendar.created", calendarUrl: (await createCalendarToken(db(), user)).url };
  }
  if (intent === "calendarRevoke" && user.role === "comms") {
    await revokeCalendarToken(db(), user);
    return { ok: true as const, message: "publishing.calendar.revoked" };
  }
  const id = z.coerce.number().int().positive().safeParse(form.get("id"));
  if (!id.success) return fieldErrors({ form: "errors.400" });
  const run = intent === "retry" ? retryPublication : intent === "cancel" ? cancelPublication : null;
  if (!run) return fieldErrors({ form: "errors.400" });
  const result = await attempt(() => run(db(), user, id.data));
  if (!("value" in result)) return result;
  return { ok: true as const, message: intent === "retry" ? "publishing.queue.retried" : "publishing.queue.cancelled" };
}

/** The comms member's editorial calendar for their calendar application: the address is shown once. */
function CalendarSubscription({ has, url }: { has: boolean; url?: string }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="calendar-title" className="stack">
      <h2 id="calendar-title">{t("publishing.calendar.title")}</h2>
      {url ? (
        <p className="field">
          <label htmlFor="calendar-url">{t("publishing.calendar.url")}</label>
          <input id="calendar-url" type="text" readOnly value={url} aria-describedby="calendar-once" />
          <span id="calendar-once" className="hint">
            {t("publishing.calendar.once")}
          </span>
        </p>
      ) : (
        <p>{t(has ? "publishing.calendar.has" : "publishing.calendar.none")}</p>
      )}
      <Form method="post" className="row">
        <SubmitButton name="intent" value="calendar" className="secondary">
          {t(has || url ? "publishing.calendar.replace" : "publishing.calendar.create")}
        </SubmitButton>
        {has || url ? (
          <SubmitButton name="intent" value="calendarRevoke" className="secondary">
            {t("publishing.calendar.revoke")}
          </SubmitButton>
        ) : null}
      </Form>
    </section>
  );
}

type Item = Omit<QueueItem, "scheduledAt" | "publishedAt"> & { scheduledAt: string | Date; publishedAt: string | Date | null; day: string };

function Actions({ item }: { item: Item }) {
  const { t } = useTranslation();
  const label = `${item.contribution.title} — ${item.channel.name}`;
  return (
    <div className="row">
      {item.state === "failed" ? (
        <Form method="post">
          <input type="hidden" name="id" value={item.id} />
          <SubmitButton name="intent" value="retry" aria-label={`${t("publishing.queue.retry")} : ${label}`}>
            {t("publishing.queue.retry")}
          </SubmitButton>
        </Form>
      ) : null}
      {["queued", "scheduled", "held", "failed"].includes(item.state) ? (
        <>
          <Link className="button secondary" to={`/publishing/${item.id}`} aria-label={`${t("publishing.queue.open")} : ${label}`}>
            {t("publishing.queue.open")}
          </Link>
          <Form method="post">
            <input type="hidden" name="id" value={item.id} />
            <SubmitButton name="intent" value="cancel" className="secondary" confirm={t("publishing.queue.cancelConfirm")} aria-label={`${t("publishing.queue.cancel")} : ${label}`}>
              {t("publishing.queue.cancel")}
            </SubmitButton>
          </Form>
        </>
      ) : (
        <Link to={`/publishing/${item.id}`} aria-label={`${t("publishing.queue.open")} : ${label}`}>
          {t("publishing.queue.open")}
        </Link>
      )}
    </div>
  );
}

function Details({ item }: { item: Item }) {
  const { t } = useTranslation();
  return (
    <>
      {item.lastError && item.state === "failed" ? <p className="field-error">{t("publishing.queue.lastError", { error: item.lastError })}</p> : null}
      {item.heldReason && item.state === "held" ? <p className="field-error">{t("publishing.queue.held", { reason: item.heldReason })}</p> : null}
      {item.remoteUrl ? (
        <p>
          <a href={item.remoteUrl}>{t("publishing.queue.seePost")}</a>
        </p>
      ) : null}
    </>
  );
}

export default function Queue() {
  const { view, range, items, calendar } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const msg = useMsg();
  const dates = useDates();
  const errors = result && "errors" in result ? (result.errors as FieldErrors) : undefined;
  const [params] = useSearchParams();
  const created = Number(params.get("created"));
  const byDay = new Map<string, Item[]>();
  for (const item of items as Item[]) byDay.set(item.day, [...(byDay.get(item.day) ?? []), item]);
  return (
    <div className="stack">
      <h1>{t("publishing.queue.title")}</h1>
      <p className="row">
        <Link to="/publishing/channels">{t("publishing.channels.title")}</Link>
      </p>
      {created > 0 && !result ? (
        <p className="notice" role="status">
          {t("publishing.create.created", { count: created })}
        </p>
      ) : null}
      {result && "message" in result ? (
        <p className="notice" role="status">
          {msg(result.message)}
        </p>
      ) : null}
      <FormError errors={errors} />
      {calendar !== null ? <CalendarSubscription has={calendar} url={result && "calendarUrl" in result ? result.calendarUrl : undefined} /> : null}
      <nav aria-label={t("publishing.queue.views")} className="row">
        {VIEWS.map((v) => (
          <Link key={v} to={`/publishing?view=${v}&at=${range.start}`} aria-current={v === view ? "page" : undefined}>
            {t(`publishing.queue.view.${v}`)}
          </Link>
        ))}
      </nav>
      <nav aria-label={t("publishing.queue.period")} className="row">
        <Link to={`/publishing?view=${view}&at=${range.previous}`}>← {t("publishing.queue.previous")}</Link>
        <span>{t("publishing.queue.from", { date: dates.date(range.start) })}</span>
        <Link to={`/publishing?view=${view}&at=${range.next}`}>{t("publishing.queue.next")} →</Link>
      </nav>
      {view === "list" ? (
        items.length ? (
          <div className="table-wrap">
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
              <tbody>
                {(items as Item[]).map((item) => (
                  <tr key={item.id}>
                    <td>{dates.dateTime(item.scheduledAt)}</td>
                    <td>{item.channel.name}</td>
                    <td>
                      <Link to={`/contributions/${item.contribution.id}`}>{item.contribution.title}</Link>
                    </td>
                    <td>
                      <span className={`status pub-${item.state}`}>{t(`publishing.states.${item.state}`)}</span>
                      <Details item={item} />
                    </td>
                    <td>
                      <Actions item={item} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p>{t("publishing.queue.empty")}</p>
        )
      ) : (
        <ol className={`calendar calendar-${view}`} aria-label={t(`publishing.queue.view.${view}`)}>
          {range.days.map((day) => {
            const list = byDay.get(day) ?? [];
            return (
              <li key={day} className="calendar-day">
                <h2 className="calendar-date">{dates.date(day, "long")}</h2>
                {list.length ? (
                  <ul className="stack">
                    {list.map((item) => (
                      <li key={item.id} className="card">
                        <strong>{dates.time(item.scheduledAt)}</strong> · {item.channel.name} · {t(`publishing.states.${item.state}`)}
                        <br />
                        <Link to={`/publishing/${item.id}`}>{item.contribution.title}</Link>
                        <Details item={item} />
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p className="hint">{t("publishing.queue.nothing")}</p>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
