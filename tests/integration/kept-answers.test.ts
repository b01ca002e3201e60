import { sql } from "kysely";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { contentVersion } from "~/auth/guards.server";
import { db, type DB } from "~/db.server";
import * as feed from "~/routes/_index";
import * as contributionRoute from "~/routes/contributions.$id._index";
import * as inbox from "~/routes/review._index";
import * as mine from "~/routes/my";
import * as search from "~/routes/search";
import { keptUntilChange, pruneContentChanges } from "~/utils/kept.server";
import { approveDirectly, context, get, makeDepartment, newDraft, outcome, run, signedIn } from "../factories";
import { unpack, type Packed } from "~/utils/packed";

/** A review inbox row, as the browser unpacks it. */
type InboxRow = { id: number; waiting_hours: number };

// Kept answers (app/utils/kept.server.ts): feed pages, the same for everyone who may read them, kept
// until a write of what they show commits (content_change, migration 26).

/** The content version a new request of `cookie` reads with its session. */
const versionOf = (cookie: string) => contentVersion(get("/", cookie));

let deptA: number;
let deptB: number;
let agentA: Awaited<ReturnType<typeof signedIn>>;
let agentB: Awaited<ReturnType<typeof signedIn>>;
let first: number;

beforeAll(async () => {
  deptA = await makeDepartment();
  deptB = await makeDepartment();
  agentA = await signedIn("agent", deptA);
  agentB = await signedIn("agent", deptB);
  first = await newDraft(agentA.cookie, { title: "Première nouvelle" });
  await approveDirectly(first, "department");
});

const loadFeed = async (cookie: string, query = "") => outcome(await run(() => feed.loader({ request: get(`/?${query}`, cookie), params: {}, context })));
const titlesOf = (body: { items: Packed<{ title: string }[]> }) => unpack(body.items).map((i) => i.title);

describe("the content version", () => {
  it("changes when a write of what feeds show commits, and not before", async () => {
    const before = await versionOf(agentA.cookie);
    expect(before).toMatch(/^\d+\.\d*\.\d+$/); // count, largest transaction id, generation
    // Each table whose rows a kept answer shows, written in a transaction left open for a moment.
    const writes: [string, (trx: DB) => Promise<unknown>][] = [
      ["contribution", (trx) => trx.updateTable("contribution").set({ title: "Première nouvelle, corrigée" }).where("id", "=", first).execute()],
      ["thanks", (trx) => trx.insertInto("thanks").values({ contribution_id: first, user_id: agentB.id }).execute()],
      ["comment", (trx) => trx.insertInto("comment").values({ contribution_id: first, author_id: agentB.id, body: "Bravo" }).execute()],
      ["app_user", (trx) => trx.updateTable("app_user").set({ display_name: "Nom changé" }).where("id", "=", agentA.id).execute()],
      ["department", (trx) => trx.updateTable("department").set({ name: `Renommé ${deptA}` }).where("id", "=", deptA).execute()],
    ];
    let last = before;
    for (const [table, write] of writes) {
      let inside: string | null = null;
      await db()
        .transaction()
        .execute(async (trx) => {
          await write(trx);
          inside = await versionOf(agentA.cookie); // another connection: the write is not committed yet
        });
      expect(inside, table).toBe(last);
      const after = await versionOf(agentA.cookie);
      expect(after, table).not.toBe(last);
      last = after;
    }
    // A write elsewhere (a notification's read mark) leaves it alone.
    await db().updateTable("notification").set({ read_at: new Date() }).where("user_id", "=", agentA.id).execute();
    expect(await versionOf(agentA.cookie)).toBe(last);
  });

  it("changes when old marks are pruned, even though the set got smaller", async () => {
    await sql`UPDATE content_change SET changed_at = now() - interval '2 hours'`.execute(db());
    const before = await versionOf(agentA.cookie);
    expect(await pruneContentChanges(db())).toBeGreaterThan(0);
    const after = await versionOf(agentA.cookie);
    expect(after).not.toBe(before);
    expect(after?.split(".")[0]).toBe("0"); // nothing left but the generation
    expect(await pruneContentChanges(db())).toBe(0);
    expect(await versionOf(agentA.cookie)).toBe(after);
  });
});

describe("a kept feed page", () => {
  it("is the same answer until a write commits, then shows the write at once", async () => {
    const one = await loadFeed(agentA.cookie);
    const two = await loadFeed(agentA.cookie);
    expect(two.body.items).toBe(one.body.items); // kept: the very same rows
    const second = await newDraft(agentA.cookie, { title: "Deuxième nouvelle" });
    await approveDirectly(second, "department");
    const three = await loadFeed(agentA.cookie);
    expect(three.body.items).not.toBe(one.body.items);
    expect(titlesOf(three.body)[0]).toBe("Deuxième nouvelle");
    // A thanks changes a card's counter: shown on the next load.
    await db().insertInto("thanks").values({ contribution_id: second, user_id: agentB.id }).execute();
    const four = await loadFeed(agentA.cookie);
    expect(unpack<{ id: number; thanks_count: number }[]>(four.body.items).find((i) => i.id === second)!.thanks_count).toBe(1);
  });

  it("is never given to someone who may not read it", async () => {
    expect(titlesOf((await loadFeed(agentA.cookie)).body)).toContain("Deuxième nouvelle");
    // Agent B asks for department A's feed, kept a moment ago: 403, as without keeping.
    expect((await loadFeed(agentB.cookie, `department=${deptA}`)).status).toBe(403);
    expect(titlesOf((await loadFeed(agentB.cookie)).body)).not.toContain("Deuxième nouvelle");
    // Department-only items stay out of the organisation's feed, kept or not.
    expect(titlesOf((await loadFeed(agentA.cookie, "scope=organisation")).body)).not.toContain("Deuxième nouvelle");
  });
});

describe("a kept contribution page", () => {
  const load = async (cookie: string, id: number) =>
    outcome(await run(() => contributionRoute.loader({ request: get(`/contributions/${id}`, cookie), params: { id: String(id) }, context })));

  it("is shared, but says to each reader whether they thanked, and shows the history to its author only", async () => {
    const colleague = await signedIn("agent", deptA);
    const id = await newDraft(agentA.cookie, { title: "Page gardée" });
    await approveDirectly(id, "department");
    await db().insertInto("thanks").values({ contribution_id: id, user_id: colleague.id }).execute();
    await db().insertInto("contribution_event").values({ contribution_id: id, actor_id: agentA.id, kind: "approved", message: "Parfait" }).execute();

    const forAuthor = await load(agentA.cookie, id);
    const forColleague = await load(colleague.cookie, id);
    expect(forColleague.body.comments).toBe(forAuthor.body.comments); // kept: the same rows
    expect(forAuthor.body.c).toMatchObject({ thanks: 1, thanked: false });
    expect(forColleague.body.c).toMatchObject({ thanks: 1, thanked: true });
    expect(forAuthor.body.c.history.map((e: { message: string | null }) => e.message)).toContain("Parfait");
    expect(forColleague.body.c.history).toEqual([]);
    // Department-only: another department's agent gets 404, though the page is kept.
    expect((await load(agentB.cookie, id)).status).toBe(404);
    // A comment shows on the next load.
    await db().insertInto("comment").values({ contribution_id: id, author_id: colleague.id, body: "Superbe" }).execute();
    expect((await load(agentA.cookie, id)).body.comments.map((m: { body: string }) => m.body)).toEqual(["Superbe"]);
  });
});

describe("a kept review inbox", () => {
  it("shows a new submission at once, and counts each one's waiting hours at each request", async () => {
    const reviewer = await signedIn("comms");
    const load = async () => outcome(await run(() => inbox.loader({ request: get("/review", reviewer.cookie), params: {}, context })));
    const before = await load();
    const id = await newDraft(agentA.cookie, { title: "À relire, gardée" });
    await db().updateTable("contribution").set({ status: "submitted", submitted_at: new Date(Date.now() - 5 * 3_600_000) }).where("id", "=", id).execute();
    const after = await load();
    expect(after.body.waiting).toBe(before.body.waiting + 1);
    expect(unpack<InboxRow[]>(after.body.items).find((i) => i.id === id)!.waiting_hours).toBe(5);
    // While every waiting time stays the same, so do the rows (one object: their markup's digest
    // is made once); an hour later they are counted anew.
    expect((await load()).body.items).toBe(after.body.items);
    const now = Date.now();
    const later = vi.spyOn(Date, "now").mockReturnValue(now + 3_600_000);
    try {
      const hourLater = await load();
      expect(hourLater.body.items).not.toBe(after.body.items);
      expect(unpack<InboxRow[]>(hourLater.body.items).find((i) => i.id === id)!.waiting_hours).toBe(6);
    } finally {
      later.mockRestore();
    }
    // An agent gets no inbox, kept or not.
    expect(outcome(await run(() => inbox.loader({ request: get("/review", agentA.cookie), params: {}, context }))).status).toBe(403);
  });
});

describe("a person's kept search and \"mes contributions\"", () => {
  const loadSearch = async (cookie: string, query: string) =>
    outcome(await run(() => search.loader({ request: get(`/search?${query}`, cookie), params: {}, context })));
  const loadMine = async (cookie: string) => outcome(await run(() => mine.loader({ request: get("/my", cookie), params: {}, context })));

  it("are the same answer for that person until a write commits, and never anyone else's", async () => {
    const colleague = await signedIn("agent", deptA);
    await newDraft(agentA.cookie, { title: "Tombola du printemps, brouillon" });
    const published = await newDraft(colleague.cookie, { title: "Tombola de la crèche" });
    await approveDirectly(published, "department");

    const one = await loadSearch(agentA.cookie, "q=tombola");
    expect(titlesOf(one.body as never).sort()).toEqual(["Tombola de la crèche", "Tombola du printemps, brouillon"]);
    expect((await loadSearch(agentA.cookie, "q=tombola")).body.items).toBe(one.body.items); // kept
    // The same search by a colleague of the same department, just after: their own answer, without
    // the other's draft; another page of results, another answer.
    const theirs = await loadSearch(colleague.cookie, "q=tombola");
    expect(theirs.body.items).not.toBe(one.body.items);
    expect(titlesOf(theirs.body as never)).toEqual(["Tombola de la crèche"]);
    expect(titlesOf((await loadSearch(agentB.cookie, "q=tombola")).body as never)).toEqual([]);
    expect((await loadSearch(agentA.cookie, "q=tombola&status=draft")).body.items).not.toBe(one.body.items);

    const myOne = await loadMine(agentA.cookie);
    expect((await loadMine(agentA.cookie)).body.items).toBe(myOne.body.items);
    expect(titlesOf((await loadMine(colleague.cookie)).body as never)).toEqual(["Tombola de la crèche"]);

    // A write commits: both show it at the next load.
    await newDraft(agentA.cookie, { title: "Tombola d'été" });
    const two = await loadSearch(agentA.cookie, "q=tombola");
    expect(two.body.items).not.toBe(one.body.items);
    expect(titlesOf(two.body as never)).toContain("Tombola d'été");
    expect(titlesOf((await loadMine(agentA.cookie)).body as never)[0]).toBe("Tombola d'été");
    expect(titlesOf((await loadSearch(colleague.cookie, "q=tombola")).body as never)).toEqual(["Tombola de la crèche"]);
  });
});

describe("keptUntilChange", () => {
  it("loads again when the version changes, keeps the most recent entries only, and never a failure", async () => {
    let loads = 0;
    const kept = keptUntilChange(2, async (value: string) => {
      loads++;
      if (value === "boom") throw new Error("refused");
      return { value };
    });
    const a = await kept("v1", "a", "A");
    expect(await kept("v1", "a", "A")).toBe(a);
    const z = await kept("v1", "z", "Z");
    expect(loads).toBe(2);
    expect(await kept("v2", "a", "A")).not.toBe(a);
    expect(loads).toBe(3);
    // A new version dropped everything kept under the old one, and the old one keeps nothing.
    expect(await kept("v2", "z", "Z")).not.toBe(z);
    expect(loads).toBe(4);
    await kept("v1", "a", "A");
    await kept("v2", "a", "A");
    expect(loads).toBe(6);
    // No version (a job, a transaction): loaded every time.
    await kept(null, "a", "A");
    expect(loads).toBe(7);
    // Two entries at most: "a" (least recently used) goes when "c" comes.
    await kept("v2", "b", "B");
    await kept("v2", "c", "C");
    await kept("v2", "a", "A");
    expect(loads).toBe(10);
    await expect(kept("v2", "d", "boom")).rejects.toThrow("refused");
    await expect(kept("v2", "d", "boom")).rejects.toThrow("refused");
    expect(loads).toBe(12);
  });
});
