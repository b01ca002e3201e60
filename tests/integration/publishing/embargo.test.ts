import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { env } from "~/env.server";
import { tFor } from "~/i18n/i18n";
import { deliverPublication } from "~/publishing/delivery.server";
import { createPublication, movePublication, releasePublication } from "~/publishing/queue.server";
import { localInput } from "~/publishing/queue-view.server";
import { DEFAULT_SLOTS, nextFreeSlot } from "~/publishing/slots";
import * as contributionPage from "~/routes/contributions.$id._index";
import * as editPage from "~/routes/contributions.$id.edit";
import * as newPage from "~/routes/publishing.new.$id";
import * as publicationPage from "~/routes/publishing.$id";
import * as reviewPage from "~/routes/review.$id";
import { UserError } from "~/utils/errors.server";
import { unpack } from "~/utils/packed";
import { context, contributionForm, get, newDraft, outcome, post, richDoc, run, signedIn } from "../../factories";
import { channel, comms, deliveryJob, publicationRow, publishable } from "./fixtures";

// A contribution's embargo ("pas avant le …"): no publication of it is made for, moved to or
// delivered at a time before it; the next free slot starts there.

const DAY = 86_400_000;
const tz = () => env().ORGANISATION_TIME_ZONE;

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return error.key;
    if (error instanceof Response) return `HTTP ${error.status}`;
    throw error;
  }
  return "accepté";
}

/** A publishable contribution under embargo until `days` from now (at a round minute). */
async function embargoed(days: number) {
  const c = await publishable();
  const embargo = new Date(Math.ceil((Date.now() + days * DAY) / 60_000) * 60_000);
  await db().updateTable("contribution").set({ embargo_until: embargo }).where("id", "=", c.id).execute();
  return { ...c, embargo };
}

const firstSlotFrom = (at: Date) => nextFreeSlot(DEFAULT_SLOTS, tz(), new Date(at.getTime() - 1), new Set())!;
const publicationsOf = (contributionId: number) => db().selectFrom("publication").select(["id", "scheduled_at"]).where("contribution_id", "=", contributionId).execute();

describe("an embargo in the queue", () => {
  it("refuses a chosen time before it, with nothing stored, and takes the first slot from it by default", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed" });
    const c = await embargoed(10);
    const early = new Date(c.embargo.getTime() - 60_000);
    expect(await refusal(createPublication(db(), actor, { contributionId: c.id, channelId: ch.id, scheduledAt: early }))).toBe("publishing.errors.beforeEmbargo");
    expect(await publicationsOf(c.id)).toEqual([]);

    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    expect(made.scheduledAt.getTime()).toBeGreaterThanOrEqual(c.embargo.getTime());
    expect(made.scheduledAt).toEqual(firstSlotFrom(c.embargo));
    expect((await deliveryJob(made.id))?.runAt).toEqual(made.scheduledAt);

    // The embargo's very instant is allowed: "pas avant".
    const other = await channel(actor, { kind: "feed" });
    const exact = await createPublication(db(), actor, { contributionId: c.id, channelId: other.id, scheduledAt: c.embargo });
    expect(exact.scheduledAt).toEqual(c.embargo);
  });

  it("refuses a move before it and moves 'next' to the first free slot from it", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed" });
    const c = await publishable();
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    // The embargo is set after the publication was queued, further than its time.
    const embargo = new Date(made.scheduledAt.getTime() + 5 * DAY);
    await db().updateTable("contribution").set({ embargo_until: embargo }).where("id", "=", c.id).execute();

    expect(await refusal(movePublication(db(), actor, made.id, new Date(embargo.getTime() - DAY)))).toBe("publishing.errors.beforeEmbargo");
    expect((await publicationRow(made.id)).scheduled_at).toEqual(made.scheduledAt);
    const moved = await movePublication(db(), actor, made.id, "next");
    expect(moved.scheduledAt).toEqual(firstSlotFrom(embargo));
  });

  it("offers the first slot from the embargo on the new-publication page, shows it, and refuses an earlier time beside the field", async () => {
    const who = await comms();
    const ch = await channel(who.actor, { kind: "feed" });
    const c = await embargoed(20);
    const draft = await newPage.loader({ request: get(`/publishing/new/${c.id}`, who.cookie), params: { id: String(c.id) }, context });
    expect(draft.contribution.embargoUntil).toEqual(c.embargo);
    expect(draft.channels.find((x) => x.id === ch.id)!.nextSlot).toEqual(firstSlotFrom(c.embargo));

    const at = localInput(new Date(c.embargo.getTime() - DAY), tz());
    const refused = outcome(
      await newPage.action({ request: post(`/publishing/new/${c.id}`, { channel: String(ch.id), [`text-${ch.id}`]: "Bonjour", [`when-${ch.id}`]: "at", [`at-${ch.id}`]: at }, who.cookie), params: { id: String(c.id) }, context }),
    );
    expect(refused.status).toBe(400);
    const [key, params] = refused.body.errors[`at-${ch.id}`];
    expect(key).toBe("publishing.errors.beforeEmbargo");
    expect(tFor("fr")(key, params)).toMatch(/^Pas avant l'embargo : le \d+ \S+ \d{4}/);
    expect(await publicationsOf(c.id)).toEqual([]);
  });

  it("refuses a move before it on the publication page beside the time field, with a 4xx", async () => {
    const who = await comms();
    const ch = await channel(who.actor, { kind: "feed" });
    const c = await embargoed(3);
    const made = await createPublication(db(), who.actor, { contributionId: c.id, channelId: ch.id });
    const at = localInput(new Date(c.embargo.getTime() - 2 * 3_600_000), tz());
    const refused = outcome(await publicationPage.action({ request: post(`/publishing/${made.id}`, { intent: "move", at }, who.cookie), params: { id: String(made.id) }, context }));
    expect(refused.status).toBe(400);
    expect(refused.body.errors.at[0]).toBe("publishing.errors.beforeEmbargo");
    expect((await publicationRow(made.id)).scheduled_at).toEqual(made.scheduledAt);
  });
});

describe("an embargo at delivery", () => {
  it("holds a publication whose time came before an embargo set later, sends nothing, and keeps it held until moved after it", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed" });
    const c = await publishable();
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    // Due now; then the embargo moves to tomorrow, straight in the table (no hold job ran).
    await db().updateTable("publication").set({ scheduled_at: sql`now() - interval '1 second'` }).where("id", "=", made.id).execute();
    const embargo = new Date(Date.now() + DAY);
    await db().updateTable("contribution").set({ embargo_until: embargo }).where("id", "=", c.id).execute();

    const run1 = await deliverPublication(db(), made.id);
    expect(run1.kind).toBe("held");
    const row = await publicationRow(made.id);
    expect(row.state).toBe("held");
    expect(row.published_at).toBeNull();
    expect(row.held_reason).toMatch(/^Embargo jusqu'au /);

    // Release is refused while its time is still before the embargo; after a move it is accepted.
    expect(await refusal(releasePublication(db(), actor, made.id))).toBe("publishing.errors.beforeEmbargo");
    await movePublication(db(), actor, made.id, "next");
    await releasePublication(db(), actor, made.id);
    const released = await publicationRow(made.id);
    expect(released.state).toBe("scheduled");
    expect(new Date(released.scheduled_at).getTime()).toBeGreaterThanOrEqual(embargo.getTime());
  });
});

describe("setting the embargo", () => {
  it("is the author's optional field, read in the organisation's time zone, refused when not a real date", async () => {
    const author = await signedIn("agent");
    const id = await newDraft(author.cookie, { embargo: "2027-03-28T02:30" });
    const row = await db().selectFrom("contribution").select("embargo_until").where("id", "=", id).executeTakeFirstOrThrow();
    // 02:30 does not exist in Paris that night: the clock jumps to 03:30 (+02:00), i.e. 01:30Z.
    expect(row.embargo_until).toEqual(new Date("2027-03-28T01:30:00Z"));
    const page = await contributionPage.loader({ request: get(`/contributions/${id}`, author.cookie), params: { id: String(id) }, context });
    expect(unpack(page.shown).embargo_until).toBe(row.embargo_until!.toISOString());

    const bad = outcome(
      await run(() => editPage.action({ request: post(`/contributions/${id}/edit`, contributionForm({ title: "Titre", body: richDoc("Texte."), embargo: "2027-02-30T10:00", intent: "save" }), author.cookie), params: { id: String(id) }, context })),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors.embargo).toBe("contributions.errors.embargo");
    expect((await db().selectFrom("contribution").select("embargo_until").where("id", "=", id).executeTakeFirstOrThrow()).embargo_until).toEqual(row.embargo_until);

    // Left empty, there is none.
    const cleared = await run(() => editPage.action({ request: post(`/contributions/${id}/edit`, contributionForm({ title: "Titre", body: richDoc("Texte."), embargo: "", intent: "save" }), author.cookie), params: { id: String(id) }, context }));
    expect((cleared as Response).status).toBe(302);
    expect((await db().selectFrom("contribution").select("embargo_until").where("id", "=", id).executeTakeFirstOrThrow()).embargo_until).toBeNull();
  });

  it("is changed by comms on the review page, which holds at once the queued publications now before it", async () => {
    const who = await comms();
    const ch = await channel(who.actor, { kind: "feed" });
    const c = await publishable();
    const made = await createPublication(db(), who.actor, { contributionId: c.id, channelId: ch.id });
    const later = new Date(made.scheduledAt.getTime() + 2 * DAY);
    const value = localInput(later, tz());
    const saved = outcome(await reviewPage.action({ request: post(`/review/${c.id}`, { intent: "embargo", embargo: value }, who.cookie), params: { id: String(c.id) }, context }));
    expect(saved.body.message).toBe("review.embargoSaved");
    expect((await db().selectFrom("contribution").select("embargo_until").where("id", "=", c.id).executeTakeFirstOrThrow()).embargo_until).toEqual(later);
    expect(await publicationRow(made.id)).toMatchObject({ state: "held" });
    expect((await reviewPage.loader({ request: get(`/review/${c.id}`, who.cookie), params: { id: String(c.id) }, context })).c.embargo_until).toEqual(later);

    const bad = outcome(await reviewPage.action({ request: post(`/review/${c.id}`, { intent: "embargo", embargo: "demain" }, who.cookie), params: { id: String(c.id) }, context }));
    expect(bad.status).toBe(400);
    expect(bad.body.errors.embargo).toBe("contributions.errors.embargo");
    const agent = await signedIn("agent");
    expect(outcome(await run(() => reviewPage.action({ request: post(`/review/${c.id}`, { intent: "embargo", embargo: "" }, agent.cookie), params: { id: String(c.id) }, context }))).status).toBe(403);
    expect((await db().selectFrom("contribution").select("embargo_until").where("id", "=", c.id).executeTakeFirstOrThrow()).embargo_until).toEqual(later);
  });
});
