import type { Actor } from "~/auth/actor";
import type { DB } from "~/db.server";
import { todayIn } from "~/utils/dates";
import { keptUntilChange } from "~/utils/kept.server";
import { assertPublisher } from "./channels.server";
import { calendarQueue, CALENDAR_CELL_CAP, listQueuePage, type QueueItem } from "./queue.server";
import { cursorParam, dayRange, localDay, parseCursor, rangeOf, type QueueView } from "./queue-view.server";

/** Failures and holds shown above the first page; a link lists them all when there are more. */
const ATTENTION_SHOWN = 20;

/**
 * What the list and the calendar show of a publication, and no more: the post's text (~500
 * characters each) went to the browser with every row, half of the list page's bytes.
 */
function shown(item: QueueItem, day: string) {
  const { id, state, scheduledAt, lastError, heldReason, remoteUrl, contribution, channel } = item;
  return { id, state, scheduledAt, lastError, heldReason, remoteUrl, contribution, channel: { id: channel.id, name: channel.name }, day };
}

/**
 * The publishing queue's page (comms and admins): the list, paged from today or a cursor, or the
 * week's or month's calendar, for the URL's parameters. The same for every comms member: kept until
 * a write of what it shows commits, or until the day changes (app/utils/kept.server.ts).
 */
export async function queuePage(db: DB, actor: Actor, view: QueueView, params: URLSearchParams, timeZone: string, version?: string | null) {
  assertPublisher(actor);
  // The period depends on the parameters and today: a new day is a new key. (Working out the period
  // itself, with Temporal, was 8 % of a kept list's time.)
  return keptQueuePages(version, `${view} ${todayIn(timeZone)} ${params}`, db, actor, view, params, timeZone);
}

const keptQueuePages = keptUntilChange(100, loadQueuePage);

async function loadQueuePage(db: DB, actor: Actor, view: QueueView, params: URLSearchParams, timeZone: string) {
  const range = rangeOf(view, params.get("at"), timeZone);
  // The days are the calendar's cells; the list pages from its start.
  const base = { view, range: { start: range.start, previous: range.previous, next: range.next, days: view === "list" ? [] : range.days } };
  if (view !== "list") {
    // A cell shows a few publications; the rest are counted per channel and listed on their day.
    const { items, overflow } = await calendarQueue(db, actor, { from: range.from, to: range.to, perDay: CALENDAR_CELL_CAP[view] });
    return { ...base, items: items.map((i) => shown(i, i.day)), overflow, list: null };
  }
  // The list is paged by keyset (time, id), 50 a page: from the chosen day on, or after/before a
  // cursor; "+ N autres" in the calendar opens it on one day and channel, "à traiter" on failures and holds.
  const day = dayRange(params.get("day"), timeZone);
  const channelId = Number(params.get("channel"));
  const attentionOnly = params.get("attention") === "1";
  const filter = {
    from: day?.from,
    to: day?.to,
    channelId: Number.isSafeInteger(channelId) && channelId > 0 ? channelId : undefined,
    states: attentionOnly ? (["failed", "held"] as const).slice() : undefined,
  };
  const after = parseCursor(params.get("after"));
  const before = after ? null : parseCursor(params.get("before"));
  const firstPage = !after && !before && !day && !attentionOnly && !filter.channelId;
  const [page, attention] = await Promise.all([
    listQueuePage(db, actor, { ...filter, after: after ?? undefined, before: before ?? undefined, start: day || attentionOnly ? undefined : range.from }),
    // The first page opens with what needs comms: failures and holds from before it, oldest first.
    firstPage ? listQueuePage(db, actor, { states: ["failed", "held"], to: range.from, size: ATTENTION_SHOWN }) : null,
  ]);
  const items = [...(attention?.items ?? []), ...page.items];
  const listFilter = { day: day?.day ?? null, channel: filter.channelId ?? null, attention: attentionOnly };
  return {
    ...base,
    items: items.map((i) => shown(i, localDay(i.scheduledAt, timeZone))),
    overflow: [],
    list: {
      // The pager's links, made here once per kept page rather than at each render.
      earlier: page.earlier ? listHref(listFilter, range.start, { before: cursorParam(page.earlier) }) : null,
      later: page.later ? listHref(listFilter, range.start, { after: cursorParam(page.later) }) : null,
      moreAttention: !!attention?.later,
      filter: { ...listFilter, channelName: filter.channelId ? (page.items[0]?.channel.name ?? null) : null },
    },
  };
}

/** A link to the list with the same filters, at another place ("plus anciennes", "plus récentes"): plain links, so paging works without JavaScript. */
function listHref(filter: { day: string | null; channel: number | null; attention: boolean }, at: string, place: Record<string, string>): string {
  const q = new URLSearchParams({ view: "list", at });
  if (filter.day) q.set("day", filter.day);
  if (filter.channel) q.set("channel", String(filter.channel));
  if (filter.attention) q.set("attention", "1");
  for (const [k, v] of Object.entries(place)) q.set(k, v);
  return `/publishing?${q}`;
}
