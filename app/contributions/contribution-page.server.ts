import type { Actor } from "~/auth/actor";
import type { DB } from "~/db.server";
import { publishedPlaces, type PublishedPlace } from "~/publishing/published.server";
import { keptUntilChange } from "~/utils/kept.server";
import { pack } from "~/utils/packed";
import { listComments } from "./comments.server";
import { contributionDetails, withViewer } from "./contributions.server";

/**
 * What a contribution's page shows whoever reads it (the contribution, photos, history, comments,
 * where it was published and its reach): kept per contribution until a write of what it shows
 * commits (app/utils/kept.server.ts). Who may see what is decided for each request, below.
 */
const keptPages = keptUntilChange(200, async (db: DB, id: number) => {
  const c = await contributionDetails(db, id);
  if (!c) return null;
  const [comments, published] = await Promise.all([listComments(db, id), publishedPlaces(db, id, { withReach: true })]);
  // What its page shows the same way to everyone who may read it (its kept markup), packed once.
  const { title, body_html, tags, event_date, place, status, visibility, embargo_until, author_name, department_name } = c;
  const photos = c.photos.map(({ id, width, height, placeholder, alt_text, credit, rights_status, rights_withdrawn_at }) => ({ id, width, height, placeholder, alt_text, credit, rights_status, rights_withdrawn_at }));
  const shown = pack({ id, title, body_html, tags, event_date, place, status, visibility, embargo_until, author_name, department_name, photos });
  return { c, comments, published, shown };
});

/** A contribution's page as `viewer` sees it, or 404 when they may not see it. */
export async function contributionPage(db: DB, viewer: Actor, id: number, version?: string | null) {
  const page = await keptPages(version, String(id), db, id);
  const c = withViewer(page?.c ?? null, viewer);
  const isAuthor = c.author_id === viewer.id;
  // Its reach is shown to its author, comms and admins, never to other agents.
  const seesReach = isAuthor || viewer.role === "comms" || viewer.role === "admin";
  const published: PublishedPlace[] = seesReach ? page!.published : page!.published.map(({ reach: _, ...place }) => place);
  return {
    // What the page's own parts need; the rest, its text, photos and names, goes in `shown` (and the
    // editor document, ids and times stay on the server: each value sent is encoded at each request).
    c: {
      id,
      title: c.title,
      status: c.status,
      photoIds: c.photos.map((p) => p.id),
      thanks: c.thanks,
      thanked: c.thanked,
      // The history (decisions and their reasons) is for the author and the communication team.
      history: isAuthor || viewer.role === "comms" ? c.history : [],
    },
    shown: page!.shown,
    comments: page!.comments,
    isAuthor,
    published,
    canPublish: (viewer.role === "comms" || viewer.role === "admin") && c.status === "approved" && c.external_eligible,
  };
}
