import type { PublicationState } from "../../db/schema";

/** States in which a publication can still be changed, moved or cancelled (the server's rule; pages show their buttons by it). */
const CHANGEABLE_STATES: readonly PublicationState[] = ["queued", "scheduled", "held", "failed"];

export function isChangeable(state: PublicationState): boolean {
  return CHANGEABLE_STATES.includes(state);
}
