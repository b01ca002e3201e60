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
 *   no one), a date, or an entry of the append-only audit log (it records ids only);
 * - `derived`: made by triggers from columns above, which are scrubbed or replaced: remade then
 *   (a contribution's card, migration 27). A pattern edit of their JSON text could break it.
 */
export type Erasure = "delete_row" | "former_agent" | "placeholder" | "blank" | "scrub" | "keep" | "derived";

export interface PersonalColumn {
  /** What it holds about a person, in a sentence. */
  holds: string;
  erasure: Erasure;
  /**
   * The column holds the account's id and the rows where it is the closed account's are deleted
   * (with `delete_row`): closing an account deletes them without a line of code per table.
   */
  owner?: true;
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
    credit_opt_out: { holds: "refus d'être nommé dans les publications (mis à vrai à la fermeture)", erasure: "keep" },
    closed_at: { holds: "date de fermeture du compte", erasure: "keep" },
  },
  user_session: {
    id: { holds: "session ouverte (secret)", erasure: "delete_row" },
    expires_at: { holds: "fin de la session", erasure: "delete_row" },
    user_id: { holds: "compte de la session", erasure: "delete_row", owner: true },
    created_at: { holds: "heure de connexion", erasure: "delete_row" },
    last_seen_at: { holds: "dernière activité de la session (à la minute)", erasure: "delete_row" },
    password_checked_at: { holds: "dernière saisie du mot de passe dans la session", erasure: "delete_row" },
    browser: { holds: "navigateur de la session (nom seulement, sans version)", erasure: "delete_row" },
    platform: { holds: "système de l'appareil de la session (nom seulement)", erasure: "delete_row" },
  },
  two_factor: {
    user_id: { holds: "compte protégé par la double authentification", erasure: "delete_row", owner: true },
    secret: { holds: "clé de l'application d'authentification (chiffrée par SECRETS_KEY)", erasure: "delete_row" },
    enabled_at: { holds: "date d'activation de la double authentification", erasure: "delete_row" },
    last_step: { holds: "dernier code accepté (pas de temps de 30 s)", erasure: "delete_row" },
    created_at: { holds: "date de configuration", erasure: "delete_row" },
  },
  recovery_code: {
    user_id: { holds: "titulaire des codes de secours", erasure: "delete_row", owner: true },
    code_hash: { holds: "empreinte d'un code de secours", erasure: "delete_row" },
    used_at: { holds: "date d'utilisation d'un code de secours", erasure: "delete_row" },
  },
  sign_in_challenge: {
    user_id: { holds: "compte en cours de connexion (mot de passe vérifié, code attendu ; 10 minutes)", erasure: "delete_row", owner: true },
  },
  login_failure: {
    key: { holds: "adresse e-mail ou adresse IP d'un essai de connexion manqué", erasure: "delete_row" },
    failed_at: { holds: "date de l'essai manqué", erasure: "delete_row" },
  },
  invitation: {
    user_id: { holds: "compte invité", erasure: "delete_row", owner: true },
    created_by: { holds: "administrateur qui a invité", erasure: "keep" },
    used_at: { holds: "date d'acceptation de l'invitation", erasure: "delete_row" },
  },
  calendar_token: {
    user_id: { holds: "titulaire d'une adresse d'abonnement au calendrier", erasure: "delete_row", owner: true },
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
  contribution_card: {
    card: { holds: "carte de la contribution : titre, extrait, nom de l'auteur (refaite par des déclencheurs)", erasure: "derived" },
    became_of: { holds: "pour l'auteur : message de la dernière décision, noms de qui a remercié (refait par des déclencheurs)", erasure: "derived" },
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
    author_id: { holds: "auteur du commentaire", erasure: "delete_row", owner: true },
    body: { holds: "texte du commentaire", erasure: "scrub" },
    created_at: { holds: "date du commentaire", erasure: "delete_row" },
    edited_at: { holds: "date de modification", erasure: "delete_row" },
  },
  thanks: {
    // Kept: the thanks others received; the id now names no one.
    user_id: { holds: "personne qui remercie", erasure: "keep" },
    created_at: { holds: "date du remerciement", erasure: "keep" },
  },
  contribution_event: {
    actor_id: { holds: "auteur d'une étape de l'historique (relecture, modification)", erasure: "keep" },
    message: { holds: "commentaire de relecture", erasure: "scrub" },
    data: { holds: "instantanés de l'historique (titres, textes, noms)", erasure: "scrub" },
    created_at: { holds: "date de l'étape", erasure: "keep" },
  },
  notification: {
    user_id: { holds: "destinataire", erasure: "delete_row", owner: true },
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
  data_export: {
    user_id: { holds: "personne dont l'archive contient les données", erasure: "delete_row", owner: true },
    requested_by: { holds: "personne qui a demandé l'archive", erasure: "delete_row", owner: true },
    file_key: { holds: "archive ZIP de ses données", erasure: "delete_row" },
    created_at: { holds: "date de la demande", erasure: "delete_row" },
  },
  organisation_settings: {
    updated_by: { holds: "administrateur qui a modifié les réglages", erasure: "keep" },
    // dpoContact: how to reach the DPO, which may name a person (not an account).
    settings: { holds: "contact du délégué à la protection des données, tel que saisi par un administrateur", erasure: "keep" },
  },
  // The consent register is about photographed people, not accounts: closing an account leaves
  // it as it is (its own retention removes the signed forms); only account ids point at agents.
  consent: {
    person_name: { holds: "nom de la personne photographiée", erasure: "keep" },
    reference: { holds: "référence de la personne dans le registre de l'organisation", erasure: "keep" },
    allows_website: { holds: "usage de son image autorisé sur le site web", erasure: "keep" },
    allows_social: { holds: "usage de son image autorisé sur les réseaux sociaux", erasure: "keep" },
    expires_on: { holds: "fin de validité de son autorisation", erasure: "keep" },
    minor: { holds: "personne mineure", erasure: "keep" },
    guardian_name: { holds: "nom du parent ou tuteur qui a signé", erasure: "keep" },
    form_key: { holds: "formulaire signé (noms, signatures)", erasure: "keep" },
    withdrawn_at: { holds: "date du retrait de son autorisation", erasure: "keep" },
    withdrawn_by: { holds: "membre qui a enregistré le retrait", erasure: "keep" },
    created_by: { holds: "membre qui a enregistré l'autorisation", erasure: "keep" },
  },
  // Statistics (migration 16): what one person did on a day, counted. An anonymised account's
  // counts stay (they are in the totals), under "Ancien agent".
  statistics_contributor_day: {
    user_id: { holds: "personne dont l'activité est comptée", erasure: "keep" },
    day: { holds: "jour de son activité", erasure: "keep" },
    submitted_in_review: { holds: "nombre de ses contributions ou gestes ce jour-là (submitted_in_review)", erasure: "keep" },
    submitted_changes_requested: { holds: "nombre de ses contributions ou gestes ce jour-là (submitted_changes_requested)", erasure: "keep" },
    submitted_approved: { holds: "nombre de ses contributions ou gestes ce jour-là (submitted_approved)", erasure: "keep" },
    submitted_rejected: { holds: "nombre de ses contributions ou gestes ce jour-là (submitted_rejected)", erasure: "keep" },
    approved: { holds: "nombre de ses contributions ou gestes ce jour-là (approved)", erasure: "keep" },
    published: { holds: "nombre de ses contributions ou gestes ce jour-là (published)", erasure: "keep" },
    thanks_received: { holds: "nombre de ses contributions ou gestes ce jour-là (thanks_received)", erasure: "keep" },
    comments_written: { holds: "nombre de ses contributions ou gestes ce jour-là (comments_written)", erasure: "keep" },
    decisions: { holds: "nombre de ses contributions ou gestes ce jour-là (decisions)", erasure: "keep" },
    changes_requested: { holds: "nombre de ses contributions ou gestes ce jour-là (changes_requested)", erasure: "keep" },
    rejected: { holds: "nombre de ses contributions ou gestes ce jour-là (rejected)", erasure: "keep" },
  },
  statistics_channel_day: {
    user_id: { holds: "personne dont les publications sont comptées", erasure: "keep" },
    day: { holds: "jour de publication", erasure: "keep" },
    published: { holds: "nombre de ses contributions publiées ce jour-là sur le canal", erasure: "keep" },
  },
  statistics_decision: {
    user_id: { holds: "auteur de la contribution décidée", erasure: "keep" },
    day: { holds: "jour de la décision", erasure: "keep" },
    outcome: { holds: "décision sur sa contribution", erasure: "keep" },
    seconds: { holds: "délai entre sa soumission et la décision", erasure: "keep" },
  },
  photo_consent: {
    consent_id: { holds: "personne du registre qui figure sur la photo", erasure: "keep" },
    linked_by: { holds: "membre qui a lié la photo à l'autorisation", erasure: "keep" },
  },
};

/** Columns that hold nothing about a person (ids of things, states, sizes, settings). */
export const notPersonal: Record<string, readonly string[]> = {
  department: ["id", "name", "created_at"],
  login_failure: ["id"],
  invitation: ["id", "token_hash", "expires_at", "created_at"],
  calendar_token: ["token_hash"],
  sign_in_challenge: ["token_hash", "expires_at"],
  contribution: [
    "id", "department_id", "tags", "event_date", "visibility_wish", "propose_external", "status", "visibility",
    "external_eligible", "version", "approved_at", "updated_at", "embargo_until",
  ],
  contribution_search: ["id", "updated_at", "department_id", "status", "visibility", "tags"],
  contribution_card: ["id"],
  // A view: how a card is made (migration 27), read by the triggers; it stores nothing.
  contribution_card_source: ["id", "card", "became_of"],
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
  organisation_settings: ["id", "updated_at"],
  data_export: ["id", "state", "photos_total", "photos_done", "bytes", "finished_at", "expires_at"],
  consent: ["id", "form_type", "form_bytes", "expiry_handled_at", "created_at", "updated_at"],
  photo_consent: ["photo_id", "linked_at"],
  statistics_contributor_day: ["department_id"],
  statistics_department_day: ["day", "department_id", "submitted_in_review", "submitted_changes_requested", "submitted_approved", "submitted_rejected", "approved", "published", "thanks_received", "comments_written", "decisions", "changes_requested", "rejected"],
  statistics_channel_day: ["department_id", "channel_id"],
  statistics_decision: ["event_id", "department_id"],
  // Counts per department and month: nobody in them.
  statistics_decision_month: ["month", "department_id", "bucket", "decisions"],
  statistics_department_month: ["month", "department_id", "submitted_in_review", "submitted_changes_requested", "submitted_approved", "submitted_rejected", "approved", "published", "thanks_received", "comments_written", "decisions", "changes_requested", "rejected"],
  statistics_dirty: ["at"],
  statistics_generation: ["id", "generation", "changed_at"],
  // Transaction ids and times: nothing names a person.
  calendar_change: ["xact", "changed_at"],
  content_change: ["xact", "changed_at"],
  content_prune: ["id", "generation"],
  kysely_migration: ["name", "timestamp"],
  kysely_migration_lock: ["id", "is_locked"],
};
