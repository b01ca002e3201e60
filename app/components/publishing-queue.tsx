import { useTranslation } from "react-i18next";
import type { PublicationState } from "../../db/schema";
import { isChangeable } from "~/publishing/states";
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

/**
 * A row's buttons, for the one form around the table (the route's): each sends its publication's
 * id under its intent ("retry=12"), so a row holds no form or hidden field of its own. Each button
 * is named by its text, the row's title and channel (aria-labelledby: "Annuler la publication
 * Concert du jeudi Mastodon de la ville"), told apart from the other rows' without repeating them.
 */
function Actions({ item }: { item: QueueRowItem }) {
  const { t } = useTranslation();
  const ids = rowIds(item.id);
  return (
    <>
      {item.state === "failed" ? (
        <button type="submit" name="retry" value={item.id} id={ids.retry} aria-labelledby={`${ids.retry} ${ids.title} ${ids.channel}`}>
          {t("publishing.queue.retry")}
        </button>
      ) : null}
      {isChangeable(item.state) ? (
        <button
          type="submit"
          name="cancel"
          value={item.id}
          id={ids.cancel}
          aria-labelledby={`${ids.cancel} ${ids.title} ${ids.channel}`}
          className="secondary"
          data-confirm={t("publishing.queue.cancelConfirm")}
        >
          {t("publishing.queue.cancel")}
        </button>
      ) : null}
    </>
  );
}

/** The ids of a row's title, channel and buttons, which name its buttons (short: they are in every row). */
function rowIds(id: number) {
  return { title: `q${id}`, channel: `q${id}c`, retry: `q${id}r`, cancel: `q${id}x` };
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

/**
 * The list's rows: a pure function of its props (kept markup), unpacked only when their markup is
 * made. A row's title opens its publication (as in the calendar; the publication's page links to
 * its contribution). Its buttons belong to the form around the table (Actions).
 */
export function QueueRows({ items, timeZone }: { items: Packed<QueueRowItem[]>; timeZone: string }) {
  const { t, i18n } = useTranslation();
  const dates = datesIn(i18n.language, timeZone);
  return unpack(items).map((item) => {
    const ids = rowIds(item.id);
    return (
      <tr key={item.id}>
        <td>{dates.dateTime(item.scheduledAt)}</td>
        <td id={ids.channel}>{item.channel.name}</td>
        <td>
          <a id={ids.title} href={`/publishing/${item.id}`}>
            {item.contribution.title}
          </a>
        </td>
        <td>
          <span className={`status pub-${item.state}`}>{t(`publishing.states.${item.state}`)}</span>
          <Details item={item} />
        </td>
        <td>
          <Actions item={item} />
        </td>
      </tr>
    );
  });
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

