// What the audit log's page and its export both show (this module reaches the browser).

/** The details as "key: value" pairs. */
export function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${v === null ? "—" : String(v)}`)
    .join(", ");
}
