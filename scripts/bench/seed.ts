/**
 * The data set of the benchmarks (feeds.ts, http.ts), kept between runs with BENCH_DATA_DIR:
 * 500,000 contributions (BENCH_ROWS) of French-ish text by 5,000 agents in 100 departments, and,
 * for the HTTP benchmark, comments, thanks and photos (rows for many contributions, all pointing at
 * a few real files processed by the app's own pipeline). Each part is seeded once: a part already
 * present is left as it is.
 */
import path from "node:path";
import type { Db } from "../../db/pool";

export const ROWS = Number(process.env.BENCH_ROWS ?? 500_000);
const USERS = 5_000;

/** Seeding runs as this many INSERT ... SELECT in parallel (one per core). */
const SEED_PARALLEL = 2;
const SEED_BATCH = 25_000;

if (!Number.isSafeInteger(ROWS) || ROWS < 1_000) throw new Error("BENCH_ROWS : un entier >= 1000 est attendu");

const DEPARTMENT_KINDS = [
  "Direction générale",
  "Ressources humaines",
  "Finances",
  "Culture et patrimoine",
  "Sports et jeunesse",
  "Action sociale",
  "Espaces verts",
  "Systèmes d'information",
];
/** 100 departments, as in a large town: each kind of service split into numbered sectors. */
const DEPARTMENTS = Array.from({ length: 100 }, (_, i) => `${DEPARTMENT_KINDS[i % DEPARTMENT_KINDS.length]} ${1 + Math.floor(i / DEPARTMENT_KINDS.length)}`);

// Most frequent first: the text is drawn with a Zipf-like law over this order (word k has a chance
// in 1/k), so the first words, French stop words, are everywhere and the last ones are uncommon.
// "équipe" is among the frequent words, "fête" and "musique" in the middle.
const STOP_WORDS = [
  "le", "la", "les", "de", "des", "du", "un", "une", "et", "à", "en", "pour", "avec", "dans", "sur",
  "par", "au", "aux", "nous", "notre", "nos", "ce", "cette", "qui", "que", "est", "sont", "a", "ont", "été",
];
const CONTENT_WORDS = [
  "équipe", "service", "agents", "projet", "journée", "ville", "habitants", "public", "travail", "année",
  "merci", "collègues", "réunion", "semaine", "atelier", "accueil", "événement", "quartier", "enfants", "participants",
  "matin", "après-midi", "soirée", "nouveau", "nouvelle", "grand", "belle", "premier", "dernière", "plusieurs",
  "organisé", "accueilli", "présenté", "réalisé", "préparé", "installé", "partagé", "découvert", "proposé", "remercie",
  "bibliothèque", "école", "mairie", "salle", "parc", "jardin", "marché", "place", "centre", "gymnase",
  "formation", "rencontre", "visite", "exposition", "concert", "spectacle", "conférence", "animation", "chantier", "campagne",
  "bénévoles", "partenaires", "associations", "élus", "familles", "jeunes", "seniors", "élèves", "usagers", "voisins",
  "fête", "printemps", "rentrée", "automne", "hiver", "janvier", "mars", "juin", "septembre", "décembre",
  "plantation", "arbres", "fleurs", "potager", "compost", "vélo", "piste", "course", "match", "tournoi",
  "lecture", "livres", "contes", "théâtre", "danse", "cinéma", "photographie", "peinture", "patrimoine", "histoire",
  "repas", "goûter", "buffet", "cuisine", "produits", "local", "solidarité", "collecte", "dons", "entraide",
  "sécurité", "prévention", "santé", "sport", "handicap", "accessibilité", "numérique", "ordinateurs", "logiciel", "données",
  "budget", "dossier", "rapport", "bilan", "chiffres", "objectif", "résultat", "étape", "calendrier", "planning",
  "musique", "chorale", "orchestre", "fanfare", "scène", "artistes", "musiciens", "chanteurs", "répétition", "instrument",
  "nettoyage", "rivière", "berges", "déchets", "tri", "recyclage", "énergie", "économies", "chauffage", "éclairage",
  "voirie", "travaux", "rue", "trottoir", "stationnement", "circulation", "transport", "navette", "bus", "gare",
  "accueillir", "informer", "aider", "accompagner", "former", "écouter", "améliorer", "simplifier", "rénover", "construire",
  "heureux", "fiers", "ensemble", "grâce", "toujours", "encore", "aussi", "beaucoup", "bientôt", "enfin",
  "convivial", "chaleureux", "festif", "pratique", "utile", "rapide", "simple", "gratuit", "ouvert", "accessible",
  "crèche", "collège", "lycée", "piscine", "stade", "médiathèque", "musée", "archives", "ludothèque", "conservatoire",
  "inscription", "programme", "affiche", "invitation", "questionnaire", "enquête", "sondage", "vote", "consultation", "débat",
  "carnaval", "brocante", "vide-grenier", "forum", "salon", "festival", "défilé", "cérémonie", "commémoration", "anniversaire",
  "médaille", "trophée", "prix", "lauréats", "concours", "jury", "diplôme", "récompense", "félicitations", "bravo",
  "astreinte", "permanence", "guichet", "téléphone", "courrier", "formulaire", "démarche", "rendez-vous", "attestation", "dématérialisation",
  "biodiversité", "abeilles", "ruches", "nichoirs", "oiseaux", "papillons", "prairie", "verger", "haies", "mares",
  "restauration", "toiture", "façade", "vitraux", "orgue", "clocher", "lavoir", "moulin", "fontaine", "kiosque",
  "tablette", "wifi", "messagerie", "intranet", "visio", "badge", "imprimante", "sauvegarde", "mot-de-passe", "assistance",
];
const VOCABULARY = [...STOP_WORDS, ...CONTENT_WORDS];
/** Words too rare for the vocabulary: one appears in about one body out of 500. */
const RARE_WORDS = ["kermesse", "transhumance", "ferronnerie", "harmonica"];
const TAGS = [
  "culture", "sport", "solidarité", "environnement", "jeunesse", "seniors", "éducation", "santé", "sécurité", "numérique",
  "patrimoine", "musique", "fête", "formation", "accueil", "travaux", "voirie", "propreté", "transport", "social",
  "emploi", "logement", "citoyenneté", "démocratie", "associations", "commerce", "tourisme", "agriculture", "eau", "énergie",
  "biodiversité", "handicap", "égalité", "prévention", "bibliothèque", "école", "petite-enfance", "budget", "ressources-humaines", "innovation",
];
const PLACES = [
  "Salle des fêtes", "Parc municipal", "Médiathèque", "Hôtel de ville", "Gymnase Jean-Moulin", "Place du marché",
  "Centre social", "École Jules-Ferry", "Stade municipal", "Jardin partagé", "Maison des associations", "Piscine",
];
const FIRST_NAMES = [
  "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Louise", "Claire", "Nadia", "Sophie", "Anne", "Marie", "Lucie",
  "Thomas", "Lucas", "Hugo", "Nicolas", "Julien", "Karim", "Antoine", "Pierre", "Mathieu", "Youssef", "Paul", "Louis", "Éric", "Jean", "Marc",
];
const LAST_NAMES = [
  "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel",
  "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert", "Bonnet",
  "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas",
];


/* ------------------------------------------------------------------------------------------- */
/* Seeding                                                                                      */

async function seedContributions(database: Db): Promise<void> {
  const { pool } = database;
  // A throwaway cluster: fewer checkpoints while writing ~2 GB (reads are not affected).
  await pool.query("ALTER SYSTEM SET max_wal_size = '8GB'");
  await pool.query("SELECT pg_reload_conf()");

  const { rows: departments } = await pool.query<{ id: string }>(
    "INSERT INTO department (name) SELECT unnest($1::text[]) RETURNING id",
    [DEPARTMENTS],
  );
  const departmentIds = departments.map((d) => Number(d.id));
  await pool.query(
    `INSERT INTO app_user (id, email, display_name, role, department_id)
     SELECT 'bench-' || u, 'agent' || u || '@relais.test',
            ($2::text[])[1 + u % cardinality($2::text[])] || ' ' || ($3::text[])[1 + (u * 7) % cardinality($3::text[])],
            'agent', ($4::bigint[])[1 + u % cardinality($4::bigint[])]
     FROM generate_series(1, $1::int) u`,
    [USERS, FIRST_NAMES, LAST_NAMES, departmentIds],
  );

  // One row of `s` per contribution with its random draws, so that every column agrees with the
  // others (status, visibility, dates); words are drawn by correlated subqueries, per row.
  const insert = `
    INSERT INTO contribution (author_id, department_id, title, body_json, body_html, body_text, tags, place, event_date,
      visibility_wish, status, visibility, submitted_at, approved_at, created_at, updated_at)
    SELECT 'bench-' || s.u, ($7::bigint[])[1 + s.u % cardinality($7::bigint[])],
      upper(left(t.title, 1)) || substr(t.title, 2),
      jsonb_build_object('type', 'doc', 'content', jsonb_build_array(jsonb_build_object('type', 'paragraph',
        'content', jsonb_build_array(jsonb_build_object('type', 'text', 'text', b.body))))),
      '<p>' || b.body || '</p>',
      b.body,
      ARRAY(SELECT DISTINCT ($4::text[])[1 + floor(power(random(), 2) * cardinality($4::text[]))::int]
            FROM generate_series(1, s.ntags)),
      CASE WHEN s.r2 < 0.4 THEN ($6::text[])[1 + floor(s.r2 / 0.4 * cardinality($6::text[]))::int] END,
      CASE WHEN s.r3 < 0.6 THEN (now() - s.age)::date - (s.r3 * 20)::int END,
      CASE WHEN s.r2 < 0.5 THEN 'department' ELSE 'organisation' END,
      s.status,
      CASE WHEN s.status IN ('approved', 'archived') THEN CASE WHEN s.r < 0.35 OR (s.r >= 0.70 AND s.r2 < 0.5)
        THEN 'department' ELSE 'organisation' END END,
      CASE WHEN s.status <> 'draft' THEN now() - s.age - interval '2 days' END,
      CASE WHEN s.status IN ('approved', 'archived') THEN now() - s.age END,
      now() - s.age - interval '3 days',
      now() - s.age + CASE WHEN s.r3 < 0.1 THEN interval '1 hour' ELSE interval '0' END
    FROM (
      SELECT g, 1 + floor(random() * $3::int)::int AS u, r, random() AS r2, random() AS r3,
        floor(random() * 4)::int AS ntags, 60 + floor(random() * 91)::int AS nwords, 4 + floor(random() * 6)::int AS ntitle,
        -- Newer rows were written later: time goes with id, as in a real table (a few days of jitter).
        ($10::int - g) / $10::float8 * interval '3 years' + random() * interval '10 days' AS age,
        CASE WHEN r < 0.70 THEN 'approved' WHEN r < 0.75 THEN 'archived' WHEN r < 0.85 THEN 'draft'
             WHEN r < 0.93 THEN 'submitted' WHEN r < 0.97 THEN 'changes_requested' ELSE 'rejected' END AS status
      FROM (SELECT g, random() AS r FROM generate_series($1::int, $2::int) g) raw
    ) s
    CROSS JOIN LATERAL (
      SELECT string_agg(($5::text[])[floor(exp(random() * ln(cardinality($5::text[]) + 1)))::int]
               || CASE WHEN random() < 0.08 THEN '.' ELSE '' END, ' ')
             || CASE WHEN s.r3 < 0.002 * cardinality($8::text[])
                THEN ' ' || ($8::text[])[1 + floor(s.r3 / 0.002)::int] ELSE '' END AS body
      FROM generate_series(1, s.nwords)
    ) b
    CROSS JOIN LATERAL (
      SELECT string_agg(($5::text[])[$9::int + floor(exp(random() * ln(cardinality($5::text[]) - $9::int + 1)))::int], ' ') AS title
      FROM generate_series(1, s.ntitle)
    ) t`;

  let nextStart = 1;
  const worker = async (seedValue: number) => {
    const client = await pool.connect();
    try {
      await client.query("SET synchronous_commit = off");
      await client.query("SELECT setseed($1)", [seedValue]);
      while (nextStart <= ROWS) {
        const from = nextStart;
        const to = Math.min(ROWS, from + SEED_BATCH - 1);
        nextStart = to + 1;
        await client.query(insert, [from, to, USERS, TAGS, VOCABULARY, PLACES, departmentIds, RARE_WORDS, STOP_WORDS.length, ROWS]);
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: SEED_PARALLEL }, (_, i) => worker((i + 1) / (SEED_PARALLEL + 1))));
  // What autovacuum would have done on a live database: statistics, visibility map, GIN pending list.
  await pool.query("VACUUM (ANALYZE) contribution");
  await pool.query("ANALYZE department, app_user");
  await pool.query("CHECKPOINT");
}


const ms = (start: number) => performance.now() - start;

/** Seeds the contributions unless they are there; refuses a cluster seeded with another BENCH_ROWS. */
export async function ensureSeeded(database: Db, workDir: string): Promise<void> {
  const size = async () =>
    (await database.pool.query<{ size: string }>("SELECT pg_size_pretty(pg_total_relation_size('contribution')) AS size")).rows[0].size;
  const { rows: existing } = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM contribution");
  if (existing[0].n === 0) {
    console.log(`seeding ${ROWS.toLocaleString("en")} contributions…`);
    const seedStart = performance.now();
    await seedContributions(database);
    console.log(
      `seeded ${ROWS.toLocaleString("en")} contributions, ${USERS} users, ${DEPARTMENTS.length} departments in ` +
        `${(ms(seedStart) / 1000).toFixed(0)} s (contribution: ${await size()} with indexes)`,
    );
  } else if (existing[0].n === ROWS) {
    await database.pool.query("ANALYZE contribution"); // a migration may have added an index
    console.log(`reusing ${ROWS.toLocaleString("en")} seeded contributions in ${workDir} (contribution: ${await size()} with indexes)`);
  } else {
    throw new Error(`${workDir} holds ${existing[0].n} contributions, not ${ROWS}: delete it or set BENCH_ROWS=${existing[0].n}`);
  }
}

const SAMPLE_PHOTOS = ["Canon_40D.jpg", "gps-DSCN0010.jpg", "gps-DSCN0021.jpg"];

/**
 * Comments, thanks and photos, as a live intranet has them: about one approved contribution in three
 * is commented (1 to 6 comments), one in two thanked (1 to 12 agents), one in four has 1 to 3 photos.
 * Photo rows share a few real files (the storage is content-addressed, so a real upload of the same
 * image would share them too), processed by the app's pipeline into `uploadsDir`.
 * Needs DATABASE_URL and UPLOADS_DIR set before the app's modules are imported.
 */
export async function seedExtras(database: Db): Promise<void> {
  const { pool } = database;
  const count = async (table: string) => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  const started = performance.now();
  if ((await count("comment")) === 0) {
    await pool.query(`
      INSERT INTO comment (contribution_id, author_id, body, created_at)
      SELECT c.id, 'bench-' || (1 + (c.id * 31 + n * 17) % ${USERS}), 'Bravo à toute l''équipe pour ce beau projet, merci !',
             coalesce(c.approved_at, c.created_at) + n * interval '1 hour'
      FROM contribution c CROSS JOIN LATERAL generate_series(1, 1 + (c.id % 6)) n
      WHERE c.status IN ('approved', 'archived') AND c.id % 3 = 0`);
  }
  if ((await count("thanks")) === 0) {
    await pool.query(`
      INSERT INTO thanks (contribution_id, user_id, created_at)
      SELECT DISTINCT ON (c.id, u) c.id, 'bench-' || u, coalesce(c.approved_at, c.created_at) + interval '1 day'
      FROM contribution c CROSS JOIN LATERAL generate_series(1, 1 + (c.id % 12)) n
      CROSS JOIN LATERAL (SELECT 1 + (c.id * 7 + n * 101) % ${USERS} AS u) x
      WHERE c.status IN ('approved', 'archived') AND c.id % 2 = 0
      ON CONFLICT DO NOTHING`);
  }
  if ((await count("photo")) === 0) {
    const { processPhoto } = await import("../../app/photos/pipeline.server");
    const { storage } = await import("../../app/photos/storage.server");
    const fs = await import("node:fs");
    const os = await import("node:os");
    const processed = [];
    for (const name of SAMPLE_PHOTOS) {
      // processPhoto consumes its input: a copy of the fixture each time.
      const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "relais-bench-photo-")), name);
      fs.copyFileSync(path.resolve("tests/fixtures/photos", name), tmp);
      processed.push(await processPhoto(tmp, storage()));
      fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
    }
    const photos = processed.map((p) => ({
      master_key: p.masterKey, width: p.width, height: p.height, bytes: p.bytes, placeholder: p.placeholder,
      renditions: p.renditions.map((r) => ({ kind: r.kind, width: r.width, height: r.height, bytes: r.bytes, file_key: r.key })),
    }));
    await pool.query(
      `INSERT INTO photo (contribution_id, position, master_key, width, height, bytes, placeholder, alt_text)
       SELECT c.id, n - 1, p->>'master_key', (p->>'width')::int, (p->>'height')::int, (p->>'bytes')::int, p->>'placeholder',
              'Photo de l''événement'
       FROM contribution c CROSS JOIN LATERAL generate_series(1, 1 + (c.id / 4) % 3) n
       CROSS JOIN LATERAL (SELECT $1::jsonb -> ((c.id + n) % jsonb_array_length($1::jsonb))::int AS p) x
       WHERE c.id % 4 = 1`,
      [JSON.stringify(photos)],
    );
    await pool.query(
      `INSERT INTO photo_rendition (photo_id, kind, width, height, bytes, file_key)
       SELECT ph.id, r->>'kind', (r->>'width')::int, (r->>'height')::int, (r->>'bytes')::int, r->>'file_key'
       FROM photo ph
       JOIN LATERAL (SELECT p FROM jsonb_array_elements($1::jsonb) p WHERE p->>'master_key' = ph.master_key LIMIT 1) x ON true
       CROSS JOIN LATERAL jsonb_array_elements(x.p->'renditions') r`,
      [JSON.stringify(photos)],
    );
  }
  // Their cards were remade by the triggers (migration 27), updating each card's row and locking each
  // contribution's: vacuumed as autovacuum would have by then.
  await pool.query("VACUUM ANALYZE contribution, contribution_card");
  await pool.query("ANALYZE comment, thanks, photo, photo_rendition");
  const took = ms(started) / 1000;
  if (took > 5) {
    console.log(
      `seeded ${await count("comment")} comments, ${await count("thanks")} thanks, ${await count("photo")} photos in ${took.toFixed(0)} s`,
    );
  }
}
