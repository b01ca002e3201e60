import type { Role } from "../../db/schema";

/**
 * Who performs a write. Every write of the domain modules takes one, for its own permission check
 * and so that an audit log can record who did what. The signed-in user requireUser() returns is
 * one as it is.
 */
export interface Actor {
  id: string;
  role: Role;
  departmentId: number | null;
}

/**
 * Administration writes (accounts, departments, invitations) by an admin, or by the installation
 * itself when `actor` is null (the `relais` CLI, the demo seed); anyone else gets a 403.
 */
export function assertAdmin(actor: Actor | null): void {
  if (actor !== null && actor.role !== "admin") throw new Response("Forbidden", { status: 403 });
}
