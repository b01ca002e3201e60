import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { addComment, deleteComment, thank } from "~/contributions/comments.server";
import { deleteContribution, submitContribution } from "~/contributions/contributions.server";
import { myContributions } from "~/contributions/feeds.server";
import { db, pool } from "~/db.server";
import { createPublication } from "~/publishing/queue.server";
import { decide } from "~/review/review.server";
import { unpack } from "~/utils/packed";
import type { MyCard } from "~/contributions/card";
import { jpegBytes, makeDepartment, newDraft, signedIn } from "../factories";
import { channel, comms, publishable } from "./publishing/fixtures";

// A contribution's card is made when what it shows is written (migration 27), by triggers on each
// table it reads. After every kind of write, the stored card is the one its definition makes now
// (`contribution_card_source`), and the pages that read it show the write.

type Actor = { id: string; role: "agent" | "comms" | "manager" | "admin"; departmentId: number | null };
const actorOf = (u: { id: string; role: Actor["role"]; departmentId: number | null }): Actor => ({ id: u.id, role: u.role, departmentId: u.departmentId });

/** The contributions among `ids` whose stored card is missing or not what it would be made now. */
async function staleCards(ids: number[]) {
  const { rows } = await sql<{ id: number }>`
    SELECT s.id FROM contribution_card_source s LEFT JOIN contribution_card k ON k.id = s.id
    WHERE s.id = ANY (${ids}::bigint[]) AND (k.id IS NULL OR k.card <> s.card OR k.became_of <> s.became_of)`.execute(db());
  return rows.map((r) => Number(r.id));
}

/** Its author's card of `id`, as "mes contributions" reads it. */
async function myCard(author: Actor, id: number): Promise<MyCard> {
  const page = await myContributions(db(), author);
  const card = unpack(page.items).find((c) => c.id === id);
  if (!card) throw new Error(`no card ${id}`);
  return card;
}

describe("contribution cards, made at write time", () => {
  it("follow comments, thanks, photos, decisions and the author's name; a card goes with its contribution", async () => {
    const dept = await makeDepartment();
    const author = await signedIn("agent", dept);
    const reader = await signedIn("agent", dept);
    const reviewer = await comms();
    const photo = new Blob([new Uint8Array(await jpegBytes(7, 120))], { type: "image/jpeg" });
    const id = await newDraft(author.cookie, { title: "Atelier de reliure" }, [[photo, "reliure.jpg"]]);
    expect(await staleCards([id])).toEqual([]);
    let card = await myCard(actorOf(author), id);
    expect(card).toMatchObject({ title: "Atelier de reliure", status: "draft", photo_count: 1, thanks_count: 0, comment_count: 0, last_decision: null, thankers: [] });
    expect(card.cover?.width).toBeGreaterThan(0);

    const version = async () => (await db().selectFrom("contribution").select("version").where("id", "=", id).executeTakeFirstOrThrow()).version;
    await db().updateTable("photo").set({ alt_text: "Des mains cousent un livre" }).where("contribution_id", "=", id).execute();
    expect((await myCard(actorOf(author), id)).cover?.alt).toBe("Des mains cousent un livre");
    await submitContribution(db(), actorOf(author), id);
    await decide(db(), reviewer.actor, id, { decision: "request_changes", version: await version(), message: "Ajoutez la date, s'il vous plaît." });
    expect(await myCard(actorOf(author), id)).toMatchObject({ status: "changes_requested", last_decision: { kind: "changes_requested", message: "Ajoutez la date, s'il vous plaît." } });
    await submitContribution(db(), actorOf(author), id);
    await decide(db(), reviewer.actor, id, { decision: "approve", version: await version(), visibility: "department", externalEligible: false });
    await addComment(db(), actorOf(reader), id, "Bravo !");
    const second = await addComment(db(), actorOf(reader), id, "Et encore bravo.");
    await thank(db(), actorOf(reader), id);
    await thank(db(), reviewer.actor, id);
    expect(await staleCards([id])).toEqual([]);
    card = await myCard(actorOf(author), id);
    expect(card).toMatchObject({ status: "approved", comment_count: 2, thanks_count: 2, last_decision: { kind: "approved", message: null } });
    const readerName = (await db().selectFrom("app_user").select("display_name").where("id", "=", reader.id).executeTakeFirstOrThrow()).display_name;
    expect(card.thankers[0]).toBe(readerName);

    await deleteComment(db(), actorOf(reader), second);
    await db().updateTable("app_user").set({ display_name: "Camille Renommée" }).where("id", "=", reader.id).execute();
    await db().updateTable("app_user").set({ display_name: "Dominique Autrice" }).where("id", "=", author.id).execute();
    await db().updateTable("department").set({ name: "Service renommé" }).where("id", "=", dept).execute();
    await db().deleteFrom("photo").where("contribution_id", "=", id).execute();
    expect(await staleCards([id])).toEqual([]);
    card = await myCard(actorOf(author), id);
    expect(card).toMatchObject({ comment_count: 1, photo_count: 0, cover: null, author_name: "Dominique Autrice", department_name: "Service renommé" });
    expect(card.thankers[0]).toBe("Camille Renommée");

    // Deleted with its contribution (a draft: its author may delete it).
    const draft = await newDraft(author.cookie, { title: "Brouillon à effacer" });
    expect(await db().selectFrom("contribution_card").select("id").where("id", "=", draft).executeTakeFirst()).toBeTruthy();
    await deleteContribution(db(), actorOf(author), draft);
    expect(await db().selectFrom("contribution_card").select("id").where("id", "=", draft).executeTakeFirst()).toBeUndefined();
  });

  it("follow publications, their reach and their channel's name", async () => {
    const { actor } = await comms();
    const c = await publishable({ photos: 0 });
    const ch = await channel(actor, { kind: "manual" });
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id, photos: [], schedule: false });
    expect((await myCard(actorOf(c.author), c.id)).published).toEqual([]);
    await db()
      .updateTable("publication")
      .set({ state: "published", remote_url: "https://social.example/1", published_at: new Date("2026-11-30T10:00:00Z") })
      .where("id", "=", made.id)
      .execute();
    await db().insertInto("publication_reach").values({ publication_id: made.id, shares: 3, likes: 5, replies: 1, fetched_at: new Date() } as never).execute();
    await db().updateTable("channel").set({ name: "Le fil renommé" }).where("id", "=", ch.id).execute();
    expect(await staleCards([c.id])).toEqual([]);
    const [place] = (await myCard(actorOf(c.author), c.id)).published;
    expect(place).toMatchObject({ channel: "Le fil renommé", url: "https://social.example/1", reach: { shares: 3, likes: 5, replies: 1 } });

    await db().deleteFrom("publication").where("id", "=", made.id).execute();
    expect((await myCard(actorOf(c.author), c.id)).published).toEqual([]);
  });

  it("count every thanks when two people thank at once (the second waits for the first, then reads it)", async () => {
    const dept = await makeDepartment();
    const author = await signedIn("agent", dept);
    const [a, b] = [await signedIn("agent", dept), await signedIn("agent", dept)];
    const id = await newDraft(author.cookie, { title: "Concert du soir" });
    const first = await pool().connect();
    const other = await pool().connect();
    try {
      await first.query("BEGIN");
      await other.query("BEGIN");
      await first.query("INSERT INTO thanks (contribution_id, user_id) VALUES ($1, $2)", [id, a.id]);
      // Its card's trigger waits for `first`, which holds the contribution's row.
      const waiting = other.query("INSERT INTO thanks (contribution_id, user_id) VALUES ($1, $2)", [id, b.id]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await first.query("COMMIT");
      await waiting;
      await other.query("COMMIT");
    } finally {
      first.release();
      other.release();
    }
    const { rows } = await sql<{ n: number }>`SELECT (card::json ->> 'thanks_count')::int AS n FROM contribution_card WHERE id = ${id}`.execute(db());
    expect(rows[0].n).toBe(2);
    expect(await staleCards([id])).toEqual([]);
  });
});
