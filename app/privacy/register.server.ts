import type { ChannelKind } from "../../db/schema";
import type { Actor } from "~/auth/actor";
import { assertAdmin } from "~/auth/actor";
import type { DB } from "~/db.server";
import { getSettings, type OrganisationSettings } from "~/organisation/settings.server";

/*
 * The register of processing activities (GDPR art. 30) as this installation runs them: the
 * activities are Relais's own features, and what varies between organisations is read where it is
 * configured — the controller and the DPO's contact and the retention periods from the
 * organisation's settings, the recipients of external publication from the channel table. The
 * wording of each activity (purpose, legal basis, categories…) is in the messages (`register.*`),
 * so that the page is the one place it is written.
 */

export const ACTIVITIES = ["intranet", "accounts", "publication", "statistics", "notifications", "consent", "audit"] as const;
export type ActivityId = (typeof ACTIVITIES)[number];

/** How long one kind of data is kept: a number of months from the settings, or a rule (message key) alone. */
export interface RetentionLine {
  /** register.retention.<item> */
  item: string;
  months: number | null;
}

export interface ProcessingActivity {
  id: ActivityId;
  retention: RetentionLine[];
}

export interface RegisterChannel {
  name: string;
  kind: ChannelKind;
  enabled: boolean;
}

export interface ProcessingRegister {
  controllerName: string;
  dpoContact: string;
  activities: ProcessingActivity[];
  /** Recipients of external publication, one per channel. */
  channels: RegisterChannel[];
}

/** What each activity keeps, and for how long, as the settings say. */
export function retentionLines(retention: OrganisationSettings["retention"]): Record<ActivityId, RetentionLine[]> {
  return {
    intranet: [
      { item: "drafts", months: retention.draftsMonths },
      { item: "rejected", months: retention.rejectedMonths },
      { item: "published", months: null },
    ],
    accounts: [
      { item: "account", months: null },
      { item: "signIn", months: retention.signInMonths },
    ],
    publication: [{ item: "posts", months: null }],
    statistics: [{ item: "statistics", months: null }],
    notifications: [{ item: "notifications", months: retention.notificationsMonths }],
    consent: [{ item: "consent", months: retention.consentDocumentsMonths }],
    audit: [{ item: "audit", months: retention.auditMonths }],
  };
}

/** The register, for admins (the DPO is an admin here); 403 for anyone else. */
export async function processingRegister(db: DB, actor: Actor): Promise<ProcessingRegister> {
  assertAdmin(actor);
  const settings = await getSettings(db);
  const lines = retentionLines(settings.retention);
  const channels = await db.selectFrom("channel").select(["name", "kind", "enabled"]).orderBy("name").orderBy("id").execute();
  return {
    controllerName: settings.controllerName,
    dpoContact: settings.dpoContact,
    activities: ACTIVITIES.map((id) => ({ id, retention: lines[id] })),
    channels,
  };
}

/** What the privacy page tells everyone signed in: who to ask, and how long their data is kept. */
export async function privacyNotice(db: DB): Promise<{ controllerName: string; dpoContact: string; retention: RetentionLine[] }> {
  const settings = await getSettings(db);
  const lines = retentionLines(settings.retention);
  return {
    controllerName: settings.controllerName,
    dpoContact: settings.dpoContact,
    retention: [...lines.intranet, ...lines.accounts, ...lines.notifications, ...lines.audit],
  };
}
