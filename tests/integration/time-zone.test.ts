import fs from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createContribution } from "~/contributions/contributions.server";
import { db } from "~/db.server";
import { ConfigurationError, setDatabaseUrl, startupEnv } from "~/env.server";
import { ingestPhotos } from "~/photos/photos.server";
import { externalBlocks, flagExpiredRights } from "~/photos/rights.server";
import * as root from "~/root";
import * as search from "~/routes/search";
import { todayIn } from "~/utils/dates";
import { approveDirectly, context, get, makeDepartment, newDraft, outcome, richDoc, run, signedIn } from "../factories";
import { SAMPLE_PHOTOS } from "../fixtures/photos";
import { unpack } from "~/utils/packed";

// The organisation's time zone (ORGANISATION_TIME_ZONE) decides where every day begins: the dates a
// search filters on and the last day of an image authorisation. The database's own clock zone
// (UTC here) must play no part.

/** Runs with the setting at `zone` (env() reads the settings once: setDatabaseUrl has it read them again). */
async function inZone<T>(zone: string, fn: () => Promise<T>): Promise<T> {
  process.env.ORGANISATION_TIME_ZONE = zone;
  setDatabaseUrl(process.env.DATABASE_URL!);
  return fn();
}
afterEach(() => {
  delete process.env.ORGANISATION_TIME_ZONE;
  setDatabaseUrl(process.env.DATABASE_URL!);
});

function dayBefore(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

describe("the ORGANISATION_TIME_ZONE setting", () => {
  it("is Europe/Paris by default, takes any IANA zone, and refuses an unknown one or an offset at start", () => {
    delete process.env.ORGANISATION_TIME_ZONE;
    expect(startupEnv().ORGANISATION_TIME_ZONE).toBe("Europe/Paris");
    process.env.ORGANISATION_TIME_ZONE = " america/new_york ";
    expect(startupEnv().ORGANISATION_TIME_ZONE).toBe("America/New_York");
    for (const wrong of ["Mars/Olympus", "+01:00", "Europe/Paris; DROP TABLE photo"]) {
      process.env.ORGANISATION_TIME_ZONE = wrong;
      expect(() => startupEnv()).toThrow(ConfigurationError);
      expect(() => startupEnv()).toThrow(/ORGANISATION_TIME_ZONE=.*fuseau horaire IANA/);
    }
  });

  it("reaches the browser through the root loader, so that both render the same dates", async () => {
    const body = await inZone("Pacific/Kiritimati", async () => outcome(await run(() => root.loader({ request: get("/"), params: {}, context }))).body);
    expect(body.timeZone).toBe("Pacific/Kiritimati");
  });
});

describe("search by date", () => {
  it("counts days in the organisation's time zone", async () => {
    const dept = await makeDepartment();
    const writer = await signedIn("agent", dept);
    const id = await newDraft(writer.cookie, { title: "Veillée", body: richDoc("Lanternes sur le canal") });
    await approveDirectly(id, "department");
    // 03:30 UTC on 15 March 2026: 23:30 on the 14th in New York (EDT), 04:30 on the 15th in Paris (CET).
    await db().updateTable("contribution").set({ updated_at: new Date("2026-03-15T03:30:00Z") }).where("id", "=", id).execute();
    const found = async (query: string) => {
      const { status, body } = outcome(await run(() => search.loader({ request: get(`/search?q=lanternes&${query}`, writer.cookie), params: {}, context })));
      expect(status).toBe(200);
      return unpack<{ id: number }[]>(body.items).map((i) => Number(i.id));
    };

    await inZone("America/New_York", async () => {
      expect(await found("from=2026-03-14&to=2026-03-14")).toEqual([id]);
      expect(await found("from=2026-03-15")).toEqual([]);
    });
    await inZone("Europe/Paris", async () => {
      expect(await found("from=2026-03-15&to=2026-03-15")).toEqual([id]);
      expect(await found("to=2026-03-14")).toEqual([]);
    });
  });
});

describe("expiry of image authorisations", () => {
  /** An approved contribution, eligible for external use, whose one photo's authorisation ends on `expires`. */
  async function eligible(expires: string): Promise<number> {
    const agent = await signedIn("agent", await makeDepartment());
    const { tmpDir } = await import("~/photos/storage.server");
    await fs.mkdir(tmpDir(), { recursive: true });
    const path = `${tmpDir()}/${Math.random().toString(36).slice(2)}`;
    await fs.copyFile(`${SAMPLE_PHOTOS}/Canon_40D.jpg`, path);
    const photos = await ingestPhotos(db(), [{ path, size: (await fs.stat(path)).size }]);
    const id = await createContribution(db(), agent, { title: "Portraits", body: richDoc("Des portraits."), tags: [], visibilityWish: "organisation", proposeExternal: true }, photos);
    await db()
      .updateTable("photo")
      .set({ alt_text: "Deux lectrices", rights_status: "authorised", rights_scope: "external", rights_expires_on: expires })
      .where("contribution_id", "=", id)
      .execute();
    await approveDirectly(id, "organisation");
    await db().updateTable("contribution").set({ external_eligible: true }).where("id", "=", id).execute();
    return id;
  }
  const stillEligible = async (id: number) =>
    (await db().selectFrom("contribution").select("external_eligible").where("id", "=", id).executeTakeFirstOrThrow()).external_eligible;

  it("counts to the end of the last day in the organisation's time zone: still valid at 23:30 there", async () => {
    // 23:30 on 14 March 2026 in New York is already 04:30 on the 15th in Paris (and 03:30 UTC).
    const lateEvening = new Date("2026-03-15T03:30:00Z");
    const inNewYork = await eligible("2026-03-14");
    await inZone("America/New_York", () => flagExpiredRights(db(), lateEvening));
    expect(await stillEligible(inNewYork)).toBe(true);

    const inParis = await eligible("2026-03-14");
    await inZone("Europe/Paris", () => flagExpiredRights(db(), lateEvening));
    expect(await stillEligible(inParis)).toBe(false);
    const event = await db().selectFrom("contribution_event").select("data").where("contribution_id", "=", inParis).where("kind", "=", "rights_withdrawn").executeTakeFirstOrThrow();
    expect(event.data).toEqual({ photo: 1, reason: "expired" });
  });

  // Two zones 25 hours apart never share a date, so one of them always differs from the database's
  // (UTC) date: a day computed by the database's clock zone fails here whatever the hour of the run.
  for (const zone of ["Pacific/Kiritimati", "Pacific/Pago_Pago"]) {
    it(`takes an authorisation expiring "today" as valid, and one that ended yesterday as expired, in ${zone}`, async () => {
      await inZone(zone, async () => {
        const today = todayIn(zone);
        const lastDay = await eligible(today);
        const ended = await eligible(dayBefore(today));
        // The gate of an approval for external use, and the daily job.
        expect(await externalBlocks(db(), lastDay)).toEqual([]);
        expect(await externalBlocks(db(), ended)).toEqual([{ photo: 1, reason: "expired" }]);
        await flagExpiredRights(db());
        expect(await stillEligible(lastDay)).toBe(true);
        expect(await stillEligible(ended)).toBe(false);
      });
    });
  }
});
