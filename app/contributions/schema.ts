import { z } from "zod";

import type { ContributionStatus, Role } from "../../db/schema";

export const MAX_PHOTOS = 10;

/** Who writes contributions (DESIGN.md): agents, and comms and managers, who may all an agent may; not admins. */
export const WRITERS: readonly Role[] = ["agent", "comms", "manager"];

/** Statuses in which the author may still change the text and photos. */
export const AUTHOR_EDITABLE: readonly ContributionStatus[] = ["draft", "submitted", "changes_requested"];
export const MAX_TAGS = 10;

/** A calendar date (YYYY-MM-DD) in a range PostgreSQL and people both understand. */
export const isoDate = (message: string) =>
  z.iso.date(message).refine((d) => d >= "1900-01-01" && d <= "2999-12-31", message);

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

/** A datetime-local value ("2026-12-01T18:30") naming a real day and time, years 2000 to 2999. */
export function isLocalDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute] = m.slice(1).map(Number);
  const d = new Date(Date.UTC(year, month - 1, day, hour, minute));
  return year >= 2000 && year <= 2999 && d.getUTCMonth() === month - 1 && d.getUTCDate() === day && d.getUTCHours() === hour && d.getUTCMinutes() === minute;
}

const optionalText = (max: number, key: string) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), z.string().trim().max(max, key).optional());

/** Tags typed as "fête, été , Jeunesse": trimmed, lower-cased (so filters match), deduplicated, at most 10. */
export const tagsField = z.preprocess(
  (v) => {
    const list = typeof v === "string" ? v.split(",") : Array.isArray(v) ? v : [];
    const seen = new Set<string>();
    return list
      .map((t) => String(t).trim().replace(/^#/, "").replace(/\s+/g, " ").toLowerCase())
      .filter((t) => t && !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()));
  },
  z.array(z.string().max(40, "contributions.errors.tagTooLong")).max(MAX_TAGS, "contributions.errors.tooManyTags"),
);

/** The fields of the contribution form; the body is tiptap JSON, validated by renderRichText. */
export const contributionFields = z.object({
  title: z
    .string("contributions.errors.titleRequired")
    .trim()
    .min(1, "contributions.errors.titleRequired")
    .max(200, "contributions.errors.titleTooLong"),
  body: z.string("contributions.errors.bodyRequired").min(1, "contributions.errors.bodyRequired"),
  tags: tagsField,
  eventDate: z.preprocess(
    (v) => (v === "" ? undefined : v),
    isoDate("contributions.errors.eventDate").optional(),
  ),
  place: optionalText(200, "contributions.errors.placeTooLong"),
  /**
   * "Pas avant le …", as the author typed it in the organisation's time zone; the server turns it
   * into an instant (contributions.server.ts). Empty: no embargo.
   */
  embargo: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.string("contributions.errors.embargo").refine(isLocalDateTime, "contributions.errors.embargo").optional(),
  ),
  visibilityWish: z.enum(["department", "organisation"], "contributions.errors.visibility").default("department"),
  proposeExternal: z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean()),
});
export type ContributionFields = z.infer<typeof contributionFields>;

export const RIGHTS_STATUSES = ["unknown", "no_person", "authorised", "refused"] as const;

export const photoFields = z
  .object({
    alt: z.string().trim().max(1000, "photos.errors.altTooLong").default(""),
    credit: z.string().trim().max(200, "photos.errors.creditTooLong").default(""),
    rightsStatus: z.enum(RIGHTS_STATUSES, "photos.errors.rights").default("unknown"),
    rightsScope: z.preprocess((v) => (v === "" ? null : v), z.enum(["internal", "external"], "photos.errors.rights").nullable().default(null)),
    rightsExpiresOn: z.preprocess((v) => (v === "" ? null : v), isoDate("photos.errors.expiry").nullable().default(null)),
  })
  .refine((p) => p.rightsStatus !== "authorised" || p.rightsScope !== null, {
    message: "photos.errors.scopeRequired",
    path: ["rightsScope"],
  });
export type PhotoFields = z.infer<typeof photoFields>;

/**
 * Every form names a photo's fields `photo.<ref>.<field>`: `ref` is the stored photo's id, or
 * `new<n>` for the n-th file (from 0) chosen in the same form, not stored yet. The new, edit and
 * review pages, the server's parsing and the domain's messages all use this one scheme.
 */
export type PhotoRef = number | `new${number}`;
export type PhotoFieldName = keyof z.input<typeof photoFields>;
export const photoFieldName = (ref: PhotoRef, field: PhotoFieldName) => `photo.${ref}.${field}`;
/** The element id of a photo field, e.g. the anchor `#photo-12-alt`. */
export const photoFieldId = (ref: PhotoRef, field: string) => `photo-${ref}-${field}`;

/** The maximum length a string schema accepts, looking through preprocess, optional and default. */
export function maxLengthOf(schema: z.ZodType): number | undefined {
  if (schema instanceof z.ZodString) return schema.maxLength ?? undefined;
  if (schema instanceof z.ZodPipe) return maxLengthOf(schema.out as z.ZodType) ?? maxLengthOf(schema.in as z.ZodType);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) return maxLengthOf(schema.unwrap() as z.ZodType);
  return undefined;
}

function limitOf(schema: z.ZodType): number {
  const max = maxLengthOf(schema);
  if (max === undefined) throw new Error("This field's schema has no maximum length.");
  return max;
}

/** Input limits for the forms (maxLength, counters), read from the schemas above so they cannot drift. */
export const LIMITS = {
  title: limitOf(contributionFields.shape.title),
  place: limitOf(contributionFields.shape.place),
  alt: limitOf(photoFields.shape.alt),
  credit: limitOf(photoFields.shape.credit),
};
