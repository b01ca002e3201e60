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

export type ExternalBlock = "alt_missing" | "rights_missing" | "rights_refused" | "internal_only" | "expired" | "withdrawn";

/**
 * Why a photo may not be used outside the organisation, or null when it may: it needs alt text,
 * and either no identifiable person or an external authorisation that is neither expired (the
 * expiry day itself still counts) nor withdrawn. `today` is YYYY-MM-DD.
 */
export function externalBlock(photo: RightsInfo, today: string): ExternalBlock | null {
  if (photo.alt_text.trim() === "") return "alt_missing";
  // A recorded withdrawal stands whatever status was chosen afterwards.
  if (photo.rights_withdrawn_at) return "withdrawn";
  switch (photo.rights_status) {
    case "unknown":
      return "rights_missing";
    case "refused":
      return "rights_refused";
    case "no_person":
      return null;
    case "authorised":
      if (photo.rights_scope !== "external") return "internal_only";
      if (photo.rights_expires_on && photo.rights_expires_on < today) return "expired";
      return null;
  }
}
