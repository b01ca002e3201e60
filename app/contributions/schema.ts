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
