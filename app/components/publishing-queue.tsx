import { useTranslation } from "react-i18next";
import type { PublicationState } from "../../db/schema";
import { datesIn } from "~/utils/dates";
import { unpack, type Packed } from "~/utils/packed";

// The publishing queue's rows and calendar days (/publishing): the same for every comms member, so
// the route keeps their markup between requests (KeptMarkup). Pure functions of their props: plain
// links and forms (made live by the route's ClientNavigation), the time zone given.

/** What the queue shows of a publication (the route's loader gives it). */
export interface QueueRowItem {
  id: number;
  state: PublicationState;
  scheduledAt: string | Date;
  lastError: string | null;
  heldReason: string | null;
  remoteUrl: string | null;
  contribution: { id: number; title: string };
  channel: { id: number; name: string };
  day: string;
}

export interface QueueOverflow {
  day: string;
  channel: { id: number; name: string };
  count: number;
}

/** A row's buttons and link, plain HTML (the rows are kept markup, inside a ClientNavigation). */
function Actions({ item, formAction }: { item: QueueRowItem; formAction: string }) {
  const { t } = useTranslation();
  const label = `${item.contribution.title} — ${item.channel.name}`;
  return (
    <div className="row">
      {item.state === "failed" ? (
        <form method="post" action={formAction}>
          <input type="hidden" name="id" value={item.id} />
          <button type="submit" name="intent" value="retry" aria-label={`${t("publishing.queue.retry")} : ${label}`}>
            {t("publishing.queue.retry")}
          </button>
        </form>
      ) : null}
      {["queued", "scheduled", "held", "failed"].includes(item.state) ? (
        <>
          <a className="button secondary" href={`/publishing/${item.id}`} aria-label={`${t("publishing.queue.open")} : ${label}`}>
            {t("publishing.queue.open")}
          </a>
          <form method="post" action={formAction}>
            <input type="hidden" name="id" value={item.id} />
            <button
              type="submit"
              name="intent"
              value="cancel"
              className="secondary"
              data-confirm={t("publishing.queue.cancelConfirm")}
              aria-label={`${t("publishing.queue.cancel")} : ${label}`}
            >
              {t("publishing.queue.cancel")}
            </button>
          </form>
        </>
      ) : (
        <a href={`/publishing/${item.id}`} aria-label={`${t("publishing.queue.open")} : ${label}`}>
          {t("publishing.queue.open")}
        </a>
      )}
    </div>
  );
}

function Details({ item }: { item: QueueRowItem }) {
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

/** The list's rows: a pure function of its props (kept markup), unpacked only when their markup is made. */
export function QueueRows({ items, formAction, timeZone }: { items: Packed<QueueRowItem[]>; formAction: string; timeZone: string }) {
  const { t, i18n } = useTranslation();
  const dates = datesIn(i18n.language, timeZone);
  return unpack(items).map((item) => (
    <tr key={item.id}>
      <td>{dates.dateTime(item.scheduledAt)}</td>
      <td>{item.channel.name}</td>
      <td>
        <a href={`/contributions/${item.contribution.id}`}>{item.contribution.title}</a>
      </td>
      <td>
        <span className={`status pub-${item.state}`}>{t(`publishing.states.${item.state}`)}</span>
        <Details item={item} />
      </td>
      <td>
        <Actions item={item} formAction={formAction} />
      </td>
    </tr>
  ));
}

/** The week's or month's days, each with its first publications and "+ N autres" per channel (kept markup), unpacked only when their markup is made. */
export function CalendarDays({ days, items, overflow, timeZone }: { days: string[]; items: Packed<QueueRowItem[]>; overflow: Packed<QueueOverflow[]>; timeZone: string }) {
  const { t, i18n } = useTranslation();
  const dates = datesIn(i18n.language, timeZone);
  const byDay = new Map<string, QueueRowItem[]>();
  for (const item of unpack(items)) byDay.set(item.day, [...(byDay.get(item.day) ?? []), item]);
  const overflows = unpack(overflow);
  return days.map((day) => {
    const shown = byDay.get(day) ?? [];
    const more = overflows.filter((o) => o.day === day);
    return (
      <li key={day} className="calendar-day">
        <h2 className="calendar-date">{dates.date(day, "long")}</h2>
        {shown.length || more.length ? (
          <ul className="stack">
            {shown.map((item) => (
              <li key={item.id} className="card">
                <strong>{dates.time(item.scheduledAt)}</strong> · {item.channel.name} · {t(`publishing.states.${item.state}`)}
                <br />
                <a href={`/publishing/${item.id}`}>{item.contribution.title}</a>
                <Details item={item} />
              </li>
            ))}
            {more.map((o) => (
              <li key={`more-${o.channel.id}`}>
                <a href={`/publishing?view=list&day=${o.day}&channel=${o.channel.id}`}>{t("publishing.queue.more", { count: o.count, channel: o.channel.name })}</a>
              </li>
            ))}
          </ul>
        ) : (
          <p className="hint">{t("publishing.queue.nothing")}</p>
        )}
      </li>
    );
  });
}

