import type { RightsScope, RightsStatus } from "../../db/schema";

export interface RightsInfo {
  id: number;
  position: number;
  alt_text: string;
  rights_status: RightsStatus;
  rights_scope: RightsScope | null;
  rights_expires_on: string | null;
  rights_withdrawn_at: Date | string | null;
}

export type ExternalBlock =
  | "alt_missing"
  | "rights_missing"
  | "rights_refused"
  | "internal_only"
  | "expired"
  | "withdrawn"
  | "consent_withdrawn"
  | "consent_expired"
  | "consent_scope";

/** Where a use outside goes: the website (feeds, webhooks) or social networks. */
export type Audience = "website" | "social";

/** An authorisation of the consent register linked to a photo, as the rule needs it. */
export interface ConsentInfo {
  allows_website: boolean;
  allows_social: boolean;
  expires_on: string | null;
  withdrawn_at: Date | string | null;
}

/**
 * Why these authorisations (of every person a photo shows) do not allow a use outside, or null
 * when they do: none withdrawn, none expired (the expiry day itself still counts), and each
 * covering `audience`, or, when the audience is not known yet (approval), some use outside.
 */
export function consentBlock(consents: readonly ConsentInfo[], today: string, audience?: Audience): ExternalBlock | null {
  if (consents.some((c) => c.withdrawn_at)) return "consent_withdrawn";
  if (consents.some((c) => c.expires_on && c.expires_on < today)) return "consent_expired";
  const covers = (c: ConsentInfo) => (audience === "website" ? c.allows_website : audience === "social" ? c.allows_social : c.allows_website || c.allows_social);
  return consents.every(covers) ? null : "consent_scope";
}

/**
 * Why a photo may not be used outside the organisation, or null when it may: it needs alt text,
 * and either no identifiable person or an external authorisation that is neither expired (the
 * expiry day itself still counts) nor withdrawn. `today` is YYYY-MM-DD.
 *
 * When the photo is linked to authorisations of the consent register (`consents`), they decide
 * instead of its own status, for `audience` (decision 0012); a withdrawal recorded on the photo
 * or a refusal still stands.
 */
export function externalBlock(photo: RightsInfo, today: string, consents: readonly ConsentInfo[] = [], audience?: Audience): ExternalBlock | null {
  if (photo.alt_text.trim() === "") return "alt_missing";
  // A recorded withdrawal stands whatever status was chosen afterwards.
  if (photo.rights_withdrawn_at) return "withdrawn";
  if (photo.rights_status === "refused") return "rights_refused";
  if (consents.length > 0) return consentBlock(consents, today, audience);
  switch (photo.rights_status) {
    case "unknown":
      return "rights_missing";
    case "no_person":
      return null;
    case "authorised":
      if (photo.rights_scope !== "external") return "internal_only";
      if (photo.rights_expires_on && photo.rights_expires_on < today) return "expired";
      return null;
  }
}
