/**
 * What a contribution's card shows in a feed and in "mes contributions" (app/components/feed-list.tsx),
 * as PostgreSQL writes it (`contribution_card`, migration 27): its times are ISO strings.
 */
export interface FeedCard {
  id: number;
  title: string;
  status: string;
  excerpt: string;
  author_name: string;
  department_name: string;
  approved_at: string | null;
  updated_at: string;
  cover: { id: number; placeholder: string; width: number; height: number; alt: string } | null;
  photo_count: number;
  thanks_count: number;
  comment_count: number;
}

/**
 * Where an item was published ("publiée sur …"), as PostgreSQL writes it (publishing/published.server.ts;
 * in "mes contributions", the card's copy, migration 27).
 */
export interface PublishedPlace {
  channel: string;
  url: string | null;
  publishedAt: string;
  /** The post's latest figures (Mastodon, Bluesky), when asked for and read at least once. */
  reach?: { shares: number; likes: number; replies: number; fetchedAt: string } | null;
}

/** A card of "mes contributions": what became of the item too. */
export interface MyCard extends FeedCard {
  /** The latest decision and its comment. */
  last_decision: { kind: string; message: string | null } | null;
  published: PublishedPlace[];
  /** The first to say thanks (at most THANKERS_SHOWN names, first ones first); the others are counted by thanks_count. */
  thankers: string[];
}
