import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export type Role = "agent" | "comms" | "manager" | "admin";
export const ROLES: readonly Role[] = ["agent", "comms", "manager", "admin"];
export type Locale = "fr" | "en";

export type ContributionStatus = "draft" | "submitted" | "changes_requested" | "approved" | "rejected" | "archived";
export type Visibility = "department" | "organisation";
export type RightsStatus = "unknown" | "no_person" | "authorised" | "refused";
export type RightsScope = "internal" | "external";
export type EventKind =
  | "created"
  | "submitted"
  | "withdrawn"
  | "approved"
  | "changes_requested"
  | "rejected"
  | "edited"
  | "archived"
  | "rights_withdrawn";
export type NotificationKind =
  | "approved"
  | "changes_requested"
  | "rejected"
  | "commented"
  | "thanked"
  | "submitted"
  | "rights_alert"
  | "published"
  | "channel_disabled";

export interface DepartmentTable {
  id: Generated<number>;
  name: string;
  created_at: CreatedAt;
}

export interface AppUserTable {
  id: string;
  email: string;
  display_name: string;
  role: Role;
  department_id: number | null;
  locale: Generated<Locale>;
  active: Generated<boolean>;
  password_hash: string | null;
  created_at: CreatedAt;
  email_kinds: Generated<NotificationKind[]>;
  email_digest: Generated<boolean>;
  /** Not named in the credit line of external posts (migration 10). */
  credit_opt_out: Generated<boolean>;
  /** When an admin closed (anonymised) the account (migration 18); it stays as "Ancien agent". */
  closed_at: Timestamp | null;
}

export interface UserSessionTable {
  id: string;
  expires_at: Timestamp;
  user_id: string;
  /** Migration 20: sign-in time, last use (written at most once a minute), last password check. */
  created_at: CreatedAt;
  last_seen_at: Generated<Date>;
  password_checked_at: Generated<Date>;
  /** Short names only ("Firefox", "Windows"), never the whole User-Agent header. */
  browser: string | null;
  platform: string | null;
}

/** One TOTP authenticator per account (migration 20). */
export interface TwoFactorTable {
  user_id: string;
  /** Sealed with SECRETS_KEY (app/publishing/secrets.server.ts). */
  secret: string;
  /** NULL until a first code confirms the enrolment. */
  enabled_at: Timestamp | null;
  /** The last accepted time step: that step's codes are refused from then on. */
  last_step: ColumnType<string | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
}

export interface RecoveryCodeTable {
  user_id: string;
  code_hash: string;
  used_at: Timestamp | null;
}

/** Between the password and the code: not a session, it opens only the code page (migration 20). */
export interface SignInChallengeTable {
  token_hash: string;
  user_id: string;
  expires_at: Timestamp;
}

export interface LoginFailureTable {
  id: Generated<number>;
  key: string;
  failed_at: Generated<Date>;
}

export interface InvitationTable {
  id: Generated<number>;
  token_hash: string;
  user_id: string;
  created_by: string | null;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface ContributionTable {
  id: Generated<number>;
  author_id: string;
  department_id: number;
  title: string;
  body_json: ColumnType<unknown, string, string>;
  body_html: string;
  body_text: string;
  tags: Generated<string[]>;
  event_date: string | null;
  place: string | null;
  visibility_wish: Generated<Visibility>;
  propose_external: Generated<boolean>;
  status: Generated<ContributionStatus>;
  visibility: Visibility | null;
  external_eligible: Generated<boolean>;
  version: Generated<number>;
  submitted_at: Timestamp | null;
  approved_at: Timestamp | null;
  /** No publication of it goes outside before this instant (migration 15). */
  embargo_until: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** What search reads, one row per contribution, kept by a trigger on `contribution` (migration 05). */
export interface ContributionSearchTable {
  id: ColumnType<number, never, never>;
  updated_at: ColumnType<Date, never, never>;
  department_id: ColumnType<number, never, never>;
  status: ColumnType<ContributionStatus, never, never>;
  visibility: ColumnType<Visibility | null, never, never>;
  author_id: ColumnType<string, never, never>;
  tags: ColumnType<string[], never, never>;
  search: ColumnType<string, never, never>;
}

/**
 * A contribution's card as its feeds and "mes contributions" show it (app/contributions/card.ts),
 * made by triggers when what it shows is written (migration 27).
 */
export interface ContributionCardTable {
  id: ColumnType<number, never, never>;
  /** FeedCard, as JSON text. */
  card: ColumnType<string, never, never>;
  /** The keys MyCard adds (for its author), as a JSON object's text. */
  became_of: ColumnType<string, never, never>;
}

/** Approved contributions per tag and audience (NULL: the organisation), rebuilt hourly. */
export interface TagUsageTable {
  department_id: number | null;
  tag: string;
  uses: number;
}

export interface PhotoTable {
  id: Generated<number>;
  contribution_id: number;
  position: number;
  /** The source of every rendition (photo_rendition); width, height and bytes are its own. */
  master_key: string;
  width: number;
  height: number;
  bytes: number;
  placeholder: string;
  alt_text: Generated<string>;
  credit: Generated<string>;
  rights_status: Generated<RightsStatus>;
  rights_scope: RightsScope | null;
  rights_expires_on: string | null;
  rights_withdrawn_at: Timestamp | null;
  /** Where crops are centred, 0..1 from the left and from the top (migration 08). */
  focus_x: Generated<number>;
  focus_y: Generated<number>;
  created_at: CreatedAt;
}

/** One file made from a photo's master, by kind (app/photos/renditions.ts lists the kinds). */
export interface PhotoRenditionTable {
  photo_id: number;
  kind: string;
  width: number;
  height: number;
  /** Null for those moved from the old columns by migration 08. */
  bytes: number | null;
  file_key: string;
  created_at: CreatedAt;
}

export interface CommentTable {
  id: Generated<number>;
  contribution_id: number;
  author_id: string;
  body: string;
  created_at: CreatedAt;
  edited_at: Timestamp | null;
}

export interface ThanksTable {
  contribution_id: number;
  user_id: string;
  created_at: CreatedAt;
}

export interface ContributionEventTable {
  id: Generated<number>;
  contribution_id: number;
  actor_id: string | null;
  kind: EventKind;
  message: string | null;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: CreatedAt;
}

export interface NotificationTable {
  id: Generated<number>;
  user_id: string;
  kind: NotificationKind;
  /** The contribution it is about, if any (deleted with it). */
  contribution_id: number | null;
  /** Where opening it leads: a path of this site, whatever the subject (migration 07). */
  link: string | null;
  actor_id: string | null;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  read_at: Timestamp | null;
  emailed_at: Timestamp | null;
  created_at: CreatedAt;
}

export type ChannelKind = "mastodon" | "bluesky" | "webhook" | "feed" | "manual";
export type ImageAspect = "1:1" | "4:5" | "1.91:1" | "16:9";
export type PublicationState = "queued" | "scheduled" | "publishing" | "published" | "failed" | "cancelled" | "held";

/** Where comms publish (migration 10). `secret_sealed` never leaves the server. */
export interface ChannelTable {
  id: Generated<number>;
  kind: ChannelKind;
  name: string;
  slug: string;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  secret_sealed: string | null;
  character_limit: number;
  image_aspect: ImageAspect;
  slots: ColumnType<{ weekday: number; time: string }[], string, string>;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** One contribution on one channel (migration 10). */
export interface PublicationTable {
  id: Generated<number>;
  contribution_id: number;
  channel_id: number;
  text: string;
  scheduled_at: Timestamp;
  state: Generated<PublicationState>;
  held_reason: string | null;
  attempts: Generated<number>;
  idempotency_key: Generated<string>;
  bluesky_rkey: string | null;
  bluesky_created_at: Timestamp | null;
  first_attempt_at: Timestamp | null;
  remote_id: string | null;
  remote_url: string | null;
  last_error: string | null;
  published_at: Timestamp | null;
  created_by: string | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface PublicationPhotoTable {
  publication_id: number;
  photo_id: number;
  position: number;
  aspect: ImageAspect | null;
  focus_x: number | null;
  focus_y: number | null;
  width: number | null;
  height: number | null;
  bytes: number | null;
}

/** The latest figures of a post on Mastodon or Bluesky, read by the fetch_reach job (migration 17). */
export interface PublicationReachTable {
  publication_id: number;
  shares: number | null;
  likes: number | null;
  replies: number | null;
  /** Bluesky only. */
  quotes: number | null;
  fetched_at: Timestamp | null;
  /** NULL: no more reads (see `stopped`). */
  next_fetch_at: Timestamp | null;
  stopped: "ended" | "gone" | null;
  failures: Generated<number>;
  last_error: string | null;
}

export type ConsentFormType = "application/pdf" | "image/jpeg" | "image/png";

/** One authorisation of the consent register (droit à l'image, migration 19). */
export interface ConsentTable {
  id: Generated<number>;
  person_name: string | null;
  reference: string | null;
  allows_website: Generated<boolean>;
  allows_social: Generated<boolean>;
  /** In force to the end of that day; null: no end date. */
  expires_on: string | null;
  minor: Generated<boolean>;
  /** Who signed for a minor. */
  guardian_name: string | null;
  /** The signed form in the storage (consent-forms/…), served only to comms and admins. */
  form_key: string | null;
  form_type: ConsentFormType | null;
  form_bytes: number | null;
  withdrawn_at: Timestamp | null;
  withdrawn_by: string | null;
  /** When the daily job held what an expired authorisation stopped (once). */
  expiry_handled_at: Timestamp | null;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** A photo shows the person of this authorisation (migration 19). */
export interface PhotoConsentTable {
  photo_id: number;
  consent_id: number;
  linked_by: string | null;
  linked_at: CreatedAt;
}

export type DataExportState = "pending" | "running" | "ready" | "failed";

/** One "Télécharger mes données" ZIP, or an admin's data-access request (migration 18). */
export interface DataExportTable {
  id: Generated<number>;
  /** Whose data it holds. */
  user_id: string;
  /** The only one who may download it. */
  requested_by: string;
  state: Generated<DataExportState>;
  photos_total: Generated<number>;
  photos_done: Generated<number>;
  /** exports/… in the storage, once built. */
  file_key: string | null;
  bytes: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
  finished_at: Timestamp | null;
  expires_at: Timestamp | null;
}

export interface CalendarTokenTable {
  user_id: string;
  token_hash: string;
  created_at: CreatedAt;
}

/** The figures of one day in the statistics roll-ups (migration 16); see app/statistics/rollups.server.ts. */
export interface StatisticsFigures {
  submitted_in_review: number;
  submitted_changes_requested: number;
  submitted_approved: number;
  submitted_rejected: number;
  approved: number;
  published: number;
  thanks_received: number;
  comments_written: number;
  decisions: number;
  changes_requested: number;
  rejected: number;
}

export interface StatisticsContributorDayTable extends StatisticsFigures {
  department_id: number;
  day: string;
  user_id: string;
}

export interface StatisticsDepartmentDayTable extends StatisticsFigures {
  day: string;
  department_id: number;
}

/** The department-days summed per month (the organisation-wide view's whole months). */
export interface StatisticsDepartmentMonthTable extends StatisticsFigures {
  month: string;
  department_id: number;
}

export interface StatisticsChannelDayTable {
  department_id: number;
  day: string;
  user_id: string;
  channel_id: number;
  published: number;
}

/** One decision and the seconds since the submission it answered (medians are not summable). */
export interface StatisticsDecisionTable {
  event_id: number;
  day: string;
  department_id: number;
  user_id: string;
  outcome: "approved" | "changes_requested" | "rejected";
  seconds: number;
}

/** Decisions per department, month and duration bucket (lower bound in seconds): the organisation's medians. */
export interface StatisticsDecisionMonthTable {
  month: string;
  department_id: number;
  bucket: number;
  decisions: number;
}

/** Hours in which something counted changed, for the refresh job (written by triggers). */
export interface StatisticsDirtyTable {
  at: Date;
}

/** One row: which state of the roll-ups is current (migration 23). */
export interface StatisticsGenerationTable {
  id: Generated<number>;
  generation: Generated<string>;
  changed_at: Generated<Date>;
}

/** One row per transaction that wrote what /calendar.ics shows (migration 24). */
/** calendar_change (migration 24) and content_change (migration 26): one row per writing transaction. */
export interface CalendarChangeTable {
  /** xid8, as text. */
  xact: string;
  changed_at: Generated<Date>;
}

export interface Database {
  department: DepartmentTable;
  app_user: AppUserTable;
  user_session: UserSessionTable;
  login_failure: LoginFailureTable;
  two_factor: TwoFactorTable;
  recovery_code: RecoveryCodeTable;
  sign_in_challenge: SignInChallengeTable;
  invitation: InvitationTable;
  contribution: ContributionTable;
  contribution_search: ContributionSearchTable;
  contribution_card: ContributionCardTable;
  tag_usage: TagUsageTable;
  photo: PhotoTable;
  photo_rendition: PhotoRenditionTable;
  comment: CommentTable;
  thanks: ThanksTable;
  contribution_event: ContributionEventTable;
  notification: NotificationTable;
  channel: ChannelTable;
  publication: PublicationTable;
  publication_photo: PublicationPhotoTable;
  publication_reach: PublicationReachTable;
  calendar_token: CalendarTokenTable;
  data_export: DataExportTable;
  audit_entry: AuditEntryTable;
  organisation_settings: OrganisationSettingsTable;
  statistics_contributor_day: StatisticsContributorDayTable;
  statistics_department_day: StatisticsDepartmentDayTable;
  statistics_channel_day: StatisticsChannelDayTable;
  statistics_decision: StatisticsDecisionTable;
  statistics_decision_month: StatisticsDecisionMonthTable;
  statistics_department_month: StatisticsDepartmentMonthTable;
  statistics_dirty: StatisticsDirtyTable;
  statistics_generation: StatisticsGenerationTable;
  calendar_change: CalendarChangeTable;
  content_change: CalendarChangeTable;
  content_prune: { id: Generated<boolean>; generation: Generated<number> };
  consent: ConsentTable;
  photo_consent: PhotoConsentTable;
}

export type AuditAction =
  | "sign_in"
  | "sign_in_failed"
  | "user_role_changed"
  | "user_department_changed"
  | "user_deactivated"
  | "user_reactivated"
  | "contribution_approved"
  | "contribution_changes_requested"
  | "contribution_rejected"
  | "photo_rights_withdrawn"
  | "publication_created"
  | "publication_cancelled"
  | "publication_published"
  | "channel_created"
  | "channel_changed"
  | "channel_secret_changed"
  | "account_closed"
  | "data_exported"
  | "consent_recorded"
  | "consent_changed"
  | "consent_withdrawn"
  | "photo_rights_changed"
  | "settings_changed"
  | "two_factor_enabled"
  | "two_factor_disabled"
  | "two_factor_reset"
  | "recovery_codes_regenerated"
  | "sessions_ended"
  | "retention_applied";
export const AUDIT_ACTIONS: readonly AuditAction[] = [
  "sign_in",
  "sign_in_failed",
  "user_role_changed",
  "user_department_changed",
  "user_deactivated",
  "user_reactivated",
  "contribution_approved",
  "contribution_changes_requested",
  "contribution_rejected",
  "photo_rights_withdrawn",
  "publication_created",
  "publication_cancelled",
  "publication_published",
  "channel_created",
  "channel_changed",
  "channel_secret_changed",
  "account_closed",
  "data_exported",
  "consent_recorded",
  "consent_changed",
  "consent_withdrawn",
  "photo_rights_changed",
  "settings_changed",
  "two_factor_enabled",
  "two_factor_disabled",
  "two_factor_reset",
  "recovery_codes_regenerated",
  "sessions_ended",
  "retention_applied",
];
export type AuditSubjectType = "user" | "contribution" | "photo" | "publication" | "channel" | "consent";
export const AUDIT_SUBJECT_TYPES: readonly AuditSubjectType[] = ["user", "contribution", "photo", "publication", "channel", "consent"];

/** Append-only: PostgreSQL refuses UPDATE, DELETE and TRUNCATE (migration 12). */
export interface AuditEntryTable {
  id: Generated<number>;
  at: ColumnType<Date, Date | string | undefined, never>;
  actor_id: string | null;
  actor_role: Role | null;
  action: AuditAction;
  subject_type: AuditSubjectType | null;
  subject_id: string | null;
  department_id: number | null;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
  ip: string | null;
}

/** One row (migration 14); read and validated through app/organisation/settings.server.ts. */
export interface OrganisationSettingsTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  updated_at: Timestamp;
  updated_by: string | null;
}

export type User = Selectable<AppUserTable>;
export type NewUser = Insertable<AppUserTable>;
export type UserUpdate = Updateable<AppUserTable>;
export type Department = Selectable<DepartmentTable>;
export type Contribution = Selectable<ContributionTable>;
export type Photo = Selectable<PhotoTable>;
