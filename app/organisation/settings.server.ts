import { z } from "zod";
import type { Actor } from "~/auth/actor";
import { assertAdmin } from "~/auth/actor";
import type { DB } from "~/db.server";
import { audit } from "~/privacy/audit.server";

/**
 * The organisation's settings, stored as one jsonb row (migration 14). Each setting has a default
 * here, so a new one needs no migration, and a stored value that no longer validates falls back to
 * its default rather than breaking sign-in or a job. Defaults follow the CNIL's guidance where it
 * gives one (logs 6 to 12 months).
 */
// catch(): a value missing or out of range reads as its default, field by field.
const months = (fallback: number) => z.number().int().min(1).max(120).catch(fallback);

export const settingsSchema = z.object({
  /** Two-factor sign-in is mandatory for admin and comms accounts. */
  twoFactorRequired: z.boolean().catch(false),
  /** A session unused this long ends (minutes). */
  sessionIdleMinutes: z.number().int().min(5).max(60 * 24 * 30).catch(8 * 60),
  /** A session ends this long after sign-in, used or not (hours). */
  sessionLifetimeHours: z.number().int().min(1).max(24 * 90).catch(24 * 14),
  /** The organisation responsible for the processing, as the register and the privacy page name it. */
  controllerName: z.string().max(200).catch(""),
  /** How to reach the data protection officer (e-mail, address), shown to everyone signed in. */
  dpoContact: z.string().max(500).catch(""),
  retention: z.preprocess(
    (value) => (value && typeof value === "object" ? value : {}),
    z.object({
      /** Drafts untouched this long are deleted. */
      draftsMonths: months(12),
      /** Rejected contributions are deleted this long after the decision. */
      rejectedMonths: months(12),
      /** Notifications are deleted this long after they were made. */
      notificationsMonths: months(6),
      /** Sign-in records (failed attempts, sign-in audit entries' IPs) are kept this long. */
      signInMonths: months(6),
      /** Audit entries are kept this long (at least one month: PostgreSQL enforces it). */
      auditMonths: months(12),
      /** A signed consent form is deleted this long after the consent expired or was withdrawn. */
      consentDocumentsMonths: months(60),
    }),
  ),
});

export type OrganisationSettings = z.infer<typeof settingsSchema>;

export function parseSettings(stored: unknown): OrganisationSettings {
  // Every field falls back alone (catch), so this parse cannot fail.
  return settingsSchema.parse(stored && typeof stored === "object" ? stored : {});
}

export async function getSettings(db: DB): Promise<OrganisationSettings> {
  const row = await db.selectFrom("organisation_settings").select("settings").executeTakeFirst();
  return parseSettings(row?.settings);
}

export type SettingsPatch = Partial<Omit<OrganisationSettings, "retention">> & {
  retention?: Partial<OrganisationSettings["retention"]>;
};

/**
 * Changes some settings (admin only, or the installation itself), records which ones changed in
 * the audit log, and returns the settings as they now are. Values are validated by the caller's
 * form; here a value out of range is refused rather than silently replaced.
 */
export async function updateSettings(db: DB, actor: Actor | null, patch: SettingsPatch): Promise<OrganisationSettings> {
  assertAdmin(actor);
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom("organisation_settings").select("settings").forUpdate().executeTakeFirst();
    const current = parseSettings(row?.settings);
    const next = { ...current, ...patch, retention: { ...current.retention, ...patch.retention } };
    // A value the schema would replace by its default is out of range: refused, not replaced.
    const strict = settingsSchema.safeParse(next);
    if (!strict.success || JSON.stringify(strict.data) !== JSON.stringify(next)) {
      throw new Response("Invalid settings", { status: 400 });
    }
    const changed = changedKeys(current, strict.data);
    if (changed.length === 0) return current;
    await trx
      .insertInto("organisation_settings")
      .values({ id: true, settings: JSON.stringify(strict.data), updated_at: new Date(), updated_by: actor?.id ?? null })
      .onConflict((oc) => oc.column("id").doUpdateSet({ settings: JSON.stringify(strict.data), updated_at: new Date(), updated_by: actor?.id ?? null }))
      .execute();
    await audit(trx, actor, "settings_changed", null, { changed: changed.join(", ") });
    return strict.data;
  });
}

function changedKeys(before: OrganisationSettings, after: OrganisationSettings): string[] {
  const keys: string[] = [];
  for (const key of Object.keys(after) as (keyof OrganisationSettings)[]) {
    if (key === "retention") {
      for (const r of Object.keys(after.retention) as (keyof OrganisationSettings["retention"])[]) {
        if (before.retention[r] !== after.retention[r]) keys.push(`retention.${r}`);
      }
    } else if (before[key] !== after[key]) {
      keys.push(key);
    }
  }
  return keys;
}
