import { sql, type ExpressionBuilder, type Expression, type SqlBool } from "kysely";
import type { ContributionStatus, Database, Visibility } from "../../db/schema";
import type { SessionUser } from "~/auth/session.server";

type Viewer = Pick<SessionUser, "id" | "role" | "departmentId">;

export interface Visible {
  author_id: string;
  department_id: number;
  status: ContributionStatus;
  visibility: Visibility | null;
}

/** Managers see their department's items; a manager without a department sees every department's. */
function managesDepartment(viewer: Viewer, departmentId: number): boolean {
  return viewer.role === "manager" && (viewer.departmentId === null || viewer.departmentId === departmentId);
}

/**
 * Whose department feed the viewer may read: their own department's; comms and the managers above
 * a department read every department they oversee (canView lets them see those items anyway).
 */
export function canReadDepartmentFeed(viewer: Viewer, departmentId: number): boolean {
  return viewer.departmentId === departmentId || viewer.role === "comms" || managesDepartment(viewer, departmentId);
}

/** Viewers who may read other departments' feeds (and so get a department chooser). */
export function readsOtherDepartments(viewer: Viewer): boolean {
  return viewer.role === "comms" || (viewer.role === "manager" && viewer.departmentId === null);
}

/**
 * Who sees a contribution (DESIGN.md): a draft, its author only; in review, changes requested or
 * rejected, the author and comms; approved (or archived) for the department, that department,
 * comms and the managers above it; approved for the organisation, everyone signed in.
 * Photos follow their contribution. Admins have no special right here.
 */
export function canView(viewer: Viewer, c: Visible): boolean {
  if (c.author_id === viewer.id) return true;
  if (c.status === "draft") return false;
  if (viewer.role === "comms") return true;
  if (c.status !== "approved" && c.status !== "archived") return false;
  if (c.visibility === "organisation") return true;
  return viewer.departmentId === c.department_id || managesDepartment(viewer, c.department_id);
}

/** The columns canView reads, in `contribution` and in `contribution_search`. */
type VisibilityColumns = Pick<Database["contribution"], "author_id" | "department_id" | "status" | "visibility">;

/** The same rule as canView, as a SQL condition on `contribution` (or `contribution_search`) aliased `c`. */
export function visibleTo(viewer: Viewer) {
  return (eb: ExpressionBuilder<{ c: VisibilityColumns }, "c">): Expression<SqlBool> => {
    const published = eb("c.status", "in", ["approved", "archived"]);
    const audience: Expression<SqlBool>[] = [eb("c.visibility", "=", "organisation")];
    if (viewer.departmentId !== null) audience.push(eb("c.department_id", "=", viewer.departmentId));
    if (viewer.role === "manager" && viewer.departmentId === null) audience.push(sql<SqlBool>`true`);
    const others: Expression<SqlBool> =
      viewer.role === "comms" ? eb("c.status", "<>", "draft") : eb.and([published, eb.or(audience)]);
    return eb.or([eb("c.author_id", "=", viewer.id), others]);
  };
}
