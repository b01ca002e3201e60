import { isIP } from "node:net";
import type { AuditAction, AuditSubjectType } from "../../db/schema";
import type { Actor } from "~/auth/actor";
import type { DB } from "~/db.server";

export interface AuditSubject {
  type: AuditSubjectType;
  id: string | number;
  /** The department concerned, for the admin page's filters and a department's own records. */
  departmentId?: number | null;
}

/** Small facts only: ids, roles, states, a reason. Flat, so that a secret cannot hide in a nest. */
export type AuditDetails = Record<string, string | number | boolean | null>;

// A key that names a secret is a bug in the caller: the log must never hold one, even by mistake.
const SECRET_KEY = /secret|password|passwd|token|hash|key|credential/i;

/**
 * Records one sensitive action in the append-only log. Call it with the transaction of the change
 * it records, so that a rolled-back change leaves no entry. `actor` null is the installation
 * itself (the CLI, a job) or, for a failed sign-in, someone not yet known.
 */
export async function audit(
  trx: DB,
  actor: Actor | null,
  action: AuditAction,
  subject: AuditSubject | null,
  details: AuditDetails = {},
  options: { ip?: string } = {},
): Promise<void> {
  for (const key of Object.keys(details)) {
    if (SECRET_KEY.test(key)) throw new Error(`audit: the detail "${key}" looks like a secret and is never recorded`);
  }
  await trx
    .insertInto("audit_entry")
    .values({
      actor_id: actor?.id ?? null,
      actor_role: actor?.role ?? null,
      action,
      subject_type: subject?.type ?? null,
      subject_id: subject === null ? null : String(subject.id),
      department_id: subject?.departmentId ?? null,
      details: JSON.stringify(details),
      // The client address comes from a header: keep it only when it is one.
      ip: options.ip && isIP(options.ip) ? options.ip : null,
    })
    .execute();
}
