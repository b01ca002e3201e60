// The register of personal columns: every column of every table of the `public` schema, classed
// either as personal (with what it holds about a person and what closing their account does to
// it) or as not personal. tests/integration/privacy/personal-data-register.test.ts reads the
// migrated database and fails when a column is in neither list, or when a listed one is gone:
// a new column must be thought about before it ships. The erasure test walks every column listed
// here as personal and looks for the closed account's name and e-mail.
//
// Out of scope: graphile-worker's schema (its job payloads are ids and rendered mails that live
// minutes, not records), and PostgreSQL's own catalogs.
//
// Plain data, no import: db/ never imports from app/, and app/ reads this file.

/**
 * What closing an account (app/privacy/erasure.server.ts) does to a personal column:
 * - `delete_row`: the rows that are the person's (their sessions, drafts, comments…) are deleted;
 * - `former_agent`: replaced by "Ancien agent";
 * - `placeholder`: replaced by a unique address that can receive no mail;
 * - `blank`: emptied (null);
 * - `scrub`: in the rows that stay, the person's name and e-mail are replaced by "Ancien agent"
 *   (free text others wrote, copies kept inside jsonb payloads and snapshots);
 * - `keep`: kept as it is: an account id (it now points at the anonymised account, which names
 *   no one), a date, or an entry of the append-only audit log (it records ids only).
 */
export type Erasure = "delete_row" | "former_agent" | "placeholder" | "blank" | "scrub" | "keep";

export interface PersonalColumn {
  /** What it holds about a person, in a sentence. */
  holds: string;
  erasure: Erasure;
}

export const personal: Record<string, Record<string, PersonalColumn>> = {
  app_user: {
    id: { holds: "identifiant du compte (aléatoire)", erasure: "keep" },
    email: { holds: "adresse e-mail", erasure: "placeholder" },
    display_name: { holds: "nom affiché", erasure: "former_agent" },
    role: { holds: "rôle dans l'organisation", erasure: "keep" },
    department_id: { holds: "service de rattachement", erasure: "keep" },
    locale: { holds: "langue choisie", erasure: "keep" },
    active: { holds: "compte actif ou non", erasure: "keep" },
    password_hash: { holds: "empreinte du mot de passe", erasure: "blank" },
    created_at: { holds: "date de création du compte", erasure: "keep" },
    email_kinds: { holds: "préférences de notification par e-mail", erasure: "keep" },
    email_digest: { holds: "préférence de résumé quotidien", erasure: "keep" },
    credit_opt_out: { holds: "refus d'être nommé dans les publications", erasure: "keep" },
  },
  user_session: {
    id: { holds: "session ouverte (secret)", erasure: "delete_row" },
    expires_at: { holds: "fin de la session", erasure: "delete_row" },
    user_id: { holds: "compte de la session", erasure: "delete_row" },
  },
  login_failure: {
    key: { holds: "adresse e-mail ou adresse IP d'un essai de connexion manqué", erasure: "delete_row" },
    failed_at: { holds: "date de l'essai manqué", erasure: "delete_row" },
  },
  invitation: {
    user_id: { holds: "compte invité", erasure: "delete_row" },
    created_by: { holds: "administrateur qui a invité", erasure: "keep" },
    used_at: { holds: "date d'acceptation de l'invitation", erasure: "delete_row" },
  },
  calendar_token: {
    user_id: { holds: "titulaire d'une adresse d'abonnement au calendrier", erasure: "delete_row" },
    created_at: { holds: "date de création de l'adresse", erasure: "delete_row" },
  },
  contribution: {
    author_id: { holds: "auteur", erasure: "keep" },
    title: { holds: "titre écrit par l'auteur (peut nommer des personnes)", erasure: "scrub" },
    body_json: { holds: "texte écrit par l'auteur (document de l'éditeur)", erasure: "scrub" },
    body_html: { holds: "texte écrit par l'auteur (HTML)", erasure: "scrub" },
    body_text: { holds: "texte écrit par l'auteur (texte brut)", erasure: "scrub" },
    place: { holds: "lieu d'un événement", erasure: "scrub" },
    created_at: { holds: "date d'écriture", erasure: "keep" },
    submitted_at: { holds: "date d'envoi", erasure: "keep" },
  },
  contribution_search: {
    author_id: { holds: "auteur (copie pour la recherche)", erasure: "keep" },
    search: { holds: "mots du titre et du texte (recalculés par un déclencheur)", erasure: "scrub" },
  },
  photo: {
    credit: { holds: "crédit photo (souvent un nom)", erasure: "scrub" },
    alt_text: { holds: "description de la photo (peut nommer des personnes)", erasure: "scrub" },
    master_key: { holds: "fichier de la photo (peut montrer des personnes)", erasure: "delete_row" },
  },
  photo_rendition: {
    file_key: { holds: "fichiers dérivés de la photo", erasure: "delete_row" },
  },
  comment: {
    author_id: { holds: "auteur du commentaire", erasure: "delete_row" },
    body: { holds: "texte du commentaire", erasure: "scrub" },
    created_at: { holds: "date du commentaire", erasure: "delete_row" },
    edited_at: { holds: "date de modification", erasure: "delete_row" },
  },
  thanks: {
    user_id: { holds: "personne qui remercie", erasure: "delete_row" },
    created_at: { holds: "date du remerciement", erasure: "delete_row" },
  },
  contribution_event: {
    actor_id: { holds: "auteur d'une étape de l'historique (relecture, modification)", erasure: "keep" },
    message: { holds: "commentaire de relecture", erasure: "scrub" },
    data: { holds: "instantanés de l'historique (titres, textes, noms)", erasure: "scrub" },
    created_at: { holds: "date de l'étape", erasure: "keep" },
  },
  notification: {
    user_id: { holds: "destinataire", erasure: "delete_row" },
    actor_id: { holds: "personne qui a causé la notification", erasure: "keep" },
    data: { holds: "copie du titre et des détails au moment de la notification", erasure: "scrub" },
    read_at: { holds: "date de lecture", erasure: "delete_row" },
    emailed_at: { holds: "date d'envoi par e-mail", erasure: "delete_row" },
    created_at: { holds: "date de la notification", erasure: "delete_row" },
  },
  publication: {
    text: { holds: "texte publié, avec la ligne de crédit qui nomme l'auteur", erasure: "scrub" },
    created_by: { holds: "membre de la communication qui a programmé", erasure: "keep" },
  },
  audit_entry: {
    actor_id: { holds: "auteur d'une action sensible (identifiant seulement)", erasure: "keep" },
    actor_role: { holds: "rôle de l'auteur au moment de l'action", erasure: "keep" },
    subject_id: { holds: "objet de l'action, parfois un compte (identifiant seulement)", erasure: "keep" },
    details: { holds: "faits de l'action (identifiants, états, raison ; jamais de nom ni d'e-mail)", erasure: "keep" },
    ip: { holds: "adresse IP du client", erasure: "keep" },
    at: { holds: "date de l'action", erasure: "keep" },
  },
  organisation_settings: {
    updated_by: { holds: "administrateur qui a modifié les réglages", erasure: "keep" },
  },
};

/** Columns that hold nothing about a person (ids of things, states, sizes, settings). */
export const notPersonal: Record<string, readonly string[]> = {
  department: ["id", "name", "created_at"],
  login_failure: ["id"],
  invitation: ["id", "token_hash", "expires_at", "created_at"],
  calendar_token: ["token_hash"],
  contribution: [
    "id", "department_id", "tags", "event_date", "visibility_wish", "propose_external", "status", "visibility",
    "external_eligible", "version", "approved_at", "updated_at", "embargo_until",
  ],
  contribution_search: ["id", "updated_at", "department_id", "status", "visibility", "tags"],
  tag_usage: ["department_id", "tag", "uses"],
  photo: [
    "id", "contribution_id", "position", "width", "height", "bytes", "placeholder", "rights_status", "rights_scope",
    "rights_expires_on", "rights_withdrawn_at", "created_at", "focus_x", "focus_y",
  ],
  photo_rendition: ["photo_id", "kind", "width", "height", "bytes", "created_at"],
  comment: ["id", "contribution_id"],
  thanks: ["contribution_id"],
  contribution_event: ["id", "contribution_id", "kind"],
  notification: ["id", "kind", "contribution_id", "link"],
  channel: [
    "id", "kind", "name", "slug", "settings", "secret_sealed", "character_limit", "image_aspect", "slots", "enabled",
    "disabled_reason", "created_at", "updated_at",
  ],
  publication: [
    "id", "contribution_id", "channel_id", "scheduled_at", "state", "held_reason", "attempts", "idempotency_key",
    "bluesky_rkey", "bluesky_created_at", "first_attempt_at", "remote_id", "remote_url", "last_error", "published_at",
    "version", "created_at", "updated_at",
  ],
  publication_photo: ["publication_id", "photo_id", "position", "aspect", "focus_x", "focus_y", "width", "height", "bytes"],
  // Counts of a public post, as the network gives them: nothing names a person.
  publication_reach: ["publication_id", "shares", "likes", "replies", "quotes", "fetched_at", "next_fetch_at", "stopped", "failures", "last_error"],
  audit_entry: ["id", "action", "subject_type", "department_id"],
  organisation_settings: ["id", "settings", "updated_at"],
  kysely_migration: ["name", "timestamp"],
  kysely_migration_lock: ["id", "is_locked"],
};
