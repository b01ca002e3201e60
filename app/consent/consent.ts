/** What the register can show: every authorisation, or those in force, expired or withdrawn. */
export type ConsentFilter = "all" | "active" | "expired" | "withdrawn";
export const CONSENT_FILTERS: readonly ConsentFilter[] = ["all", "active", "expired", "withdrawn"];

/** Who the authorisation is of, in one line: the name, the reference, or both. */
export function consentLabel(c: { person_name: string | null; reference: string | null }): string {
  if (c.person_name && c.reference) return `${c.person_name} (${c.reference})`;
  return c.person_name ?? c.reference ?? "";
}
