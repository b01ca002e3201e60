import type { NotificationKind, Role } from "../../db/schema";

export type { NotificationKind };

export const NOTIFICATION_KINDS: NotificationKind[] = ["approved", "changes_requested", "rejected", "commented", "thanked", "submitted", "rights_alert", "published", "channel_disabled"];

/** Kinds only the communication team receives (what is sent to review, image-rights alerts). */
const COMMS_ONLY: NotificationKind[] = ["submitted", "rights_alert", "channel_disabled"];

/** The kinds a person of this role can receive: the e-mail choices offered in their settings. */
export function kindsFor(role: Role): NotificationKind[] {
  return NOTIFICATION_KINDS.filter((k) => role === "comms" || !COMMS_ONLY.includes(k));
}
