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

/** Runs one write, then checks that the cards of `ids` are what the view makes now. */
async function written(ids: number[], write: () => Promise<unknown>) {
  await write();
  expect(await staleCards(ids)).toEqual([]);
}

/** Whether another connection may lock the contribution's row now (NOWAIT): no card is being remade for it. */
async function rowFree(id: number): Promise<boolean> {
  const other = await pool().connect();
  try {
    await other.query("BEGIN");
    await other.query("SELECT 1 FROM contribution WHERE id = $1 FOR NO KEY UPDATE NOWAIT", [id]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "55P03") return false; // lock_not_available
    throw error;
  } finally {
    await other.query("ROLLBACK");
    other.release();
  }
}

describe("contribution cards, made at write time", () => {
  it("follow each write of comments, thanks, photos, decisions and names; a card goes with its contribution", async () => {
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
    await written([id], () => db().updateTable("photo").set({ alt_text: "Des mains cousent un livre" }).where("contribution_id", "=", id).execute());
    expect((await myCard(actorOf(author), id)).cover?.alt).toBe("Des mains cousent un livre");
    await written([id], () => submitContribution(db(), actorOf(author), id));
    await written([id], async () => decide(db(), reviewer.actor, id, { decision: "request_changes", version: await version(), message: "Ajoutez la date, s'il vous plaît." }));
    expect(await myCard(actorOf(author), id)).toMatchObject({ status: "changes_requested", last_decision: { kind: "changes_requested", message: "Ajoutez la date, s'il vous plaît." } });
    await written([id], () => submitContribution(db(), actorOf(author), id));
    await written([id], async () => decide(db(), reviewer.actor, id, { decision: "approve", version: await version(), visibility: "department", externalEligible: false }));
    await written([id], () => addComment(db(), actorOf(reader), id, "Bravo !"));
    let second = 0;
    await written([id], async () => (second = await addComment(db(), actorOf(reader), id, "Et encore bravo.")));
    await written([id], () => thank(db(), actorOf(reader), id));
    await written([id], () => thank(db(), reviewer.actor, id));
    card = await myCard(actorOf(author), id);
    expect(card).toMatchObject({ status: "approved", comment_count: 2, thanks_count: 2, last_decision: { kind: "approved", message: null } });
    const readerName = (await db().selectFrom("app_user").select("display_name").where("id", "=", reader.id).executeTakeFirstOrThrow()).display_name;
    expect(card.thankers[0]).toBe(readerName);

    await written([id], () => deleteComment(db(), actorOf(reader), second));
    await written([id], () => db().updateTable("app_user").set({ display_name: "Camille Renommée" }).where("id", "=", reader.id).execute());
    await written([id], () => db().updateTable("app_user").set({ display_name: "Dominique Autrice" }).where("id", "=", author.id).execute());
    await written([id], () => db().updateTable("department").set({ name: "Service renommé" }).where("id", "=", dept).execute());
    await written([id], () => db().deleteFrom("photo").where("contribution_id", "=", id).execute());
    card = await myCard(actorOf(author), id);
    expect(card).toMatchObject({ comment_count: 1, photo_count: 0, cover: null, author_name: "Dominique Autrice", department_name: "Service renommé" });
    expect(card.thankers[0]).toBe("Camille Renommée");

    // Deleted with its contribution (a draft: its author may delete it).
    const draft = await newDraft(author.cookie, { title: "Brouillon à effacer" });
    expect(await db().selectFrom("contribution_card").select("id").where("id", "=", draft).executeTakeFirst()).toBeTruthy();
    await deleteContribution(db(), actorOf(author), draft);
    expect(await db().selectFrom("contribution_card").select("id").where("id", "=", draft).executeTakeFirst()).toBeUndefined();
  });

  it("follow each write of a publication, its reach and its channel's name", async () => {
    const { actor } = await comms();
    const c = await publishable({ photos: 0 });
    const ch = await channel(actor, { kind: "manual" });
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id, photos: [], schedule: false });
    expect((await myCard(actorOf(c.author), c.id)).published).toEqual([]);
    await written([c.id], () =>
      db()
        .updateTable("publication")
        .set({ state: "published", remote_url: "https://social.example/1", published_at: new Date("2026-11-30T10:00:00Z") })
        .where("id", "=", made.id)
        .execute(),
    );
    expect((await myCard(actorOf(c.author), c.id)).published).toMatchObject([{ url: "https://social.example/1", reach: null }]);
    await written([c.id], () => db().insertInto("publication_reach").values({ publication_id: made.id, shares: 3, likes: 5, replies: 1, fetched_at: new Date() } as never).execute());
    await written([c.id], () => db().updateTable("publication_reach").set({ likes: 6 }).where("publication_id", "=", made.id).execute());
    await written([c.id], () => db().updateTable("channel").set({ name: "Le fil renommé" }).where("id", "=", ch.id).execute());
    const [place] = (await myCard(actorOf(c.author), c.id)).published;
    expect(place).toMatchObject({ channel: "Le fil renommé", url: "https://social.example/1", reach: { shares: 3, likes: 6, replies: 1 } });
    await written([c.id], () => db().deleteFrom("publication_reach").where("publication_id", "=", made.id).execute());
    await written([c.id], () => db().deleteFrom("publication").where("id", "=", made.id).execute());
    expect((await myCard(actorOf(c.author), c.id)).published).toEqual([]);
  });

  it("are remade only for what a card shows: a queued publication's edit or an event that is no decision leaves the contribution's row free", async () => {
    const { actor } = await comms();
    const c = await publishable({ photos: 0 });
    const ch = await channel(actor, { kind: "manual" });
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id, photos: [], schedule: false });
    const writer = await pool().connect();
    try {
      await writer.query("BEGIN");
      await writer.query("UPDATE publication SET text = text || ' !' WHERE id = $1", [made.id]);
      await writer.query("INSERT INTO contribution_event (contribution_id, actor_id, kind) VALUES ($1, $2, 'submitted')", [c.id, actor.id]);
      expect(await rowFree(c.id)).toBe(true);
      await writer.query("UPDATE publication SET state = 'published', published_at = now() WHERE id = $1", [made.id]);
      expect(await rowFree(c.id)).toBe(false); // its card is being remade
    } finally {
      await writer.query("ROLLBACK");
      writer.release();
    }
  });

  it("are made at a read when one is missing (a row written with triggers disabled)", async () => {
    const dept = await makeDepartment();
    const author = await signedIn("agent", dept);
    const id = await newDraft(author.cookie, { title: "Sans carte" });
    await db().deleteFrom("contribution_card").where("id", "=", id).execute();
    expect(await myCard(actorOf(author), id)).toMatchObject({ title: "Sans carte", status: "draft", thankers: [] });
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
      const { rows } = await other.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      // Its card's trigger waits for `first`, which holds the contribution's row…
      const waiting = other.query("INSERT INTO thanks (contribution_id, user_id) VALUES ($1, $2)", [id, b.id]);
      for (let i = 0; i < 100; i++) {
        const { rows: w } = await pool().query<{ waits: boolean }>("SELECT wait_event_type = 'Lock' AS waits FROM pg_stat_activity WHERE pid = $1", [rows[0].pid]);
        if (w[0]?.waits) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // …until it commits.
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
