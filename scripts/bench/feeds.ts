/**
 * Feed and search benchmarks: `npx tsx scripts/bench/feeds.ts`. Exits non-zero when a target is missed.
 *
 * A throwaway embedded PostgreSQL, migrated, seeded with 500,000 contributions (BENCH_ROWS to change
 * it, e.g. BENCH_ROWS=50000 for a quick try) of French-ish text. Then the domain functions the
 * routes call (departmentFeed, organisationFeed, and searchPage: results, department choices and
 * tag suggestions) run under 20 concurrent requests; target: p95 < 50 ms each. Each p95 is also given as a ratio to a bare `SELECT 1`
 * through the same pool and harness, measured just before it. When a target is missed, the query's plan
 * (EXPLAIN ANALYZE, BUFFERS) is printed to find the missing index.
 *
 * BENCH_ONLY=search measures only the cases whose name contains "search".
 * BENCH_DATA_DIR=/some/folder keeps the seeded cluster there and reuses it on the next run
 * (migrations still run: a new index is picked up without seeding again).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kysely, PostgresDialect, sql, type CompiledQuery } from "kysely";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";
import { createDb, poolSize, type Db } from "../../db/pool";
import type { Database } from "../../db/schema";

type DB = Kysely<Database>;

const ROWS = Number(process.env.BENCH_ROWS ?? 500_000);
const USERS = 2_000;
const CONCURRENCY = 20;
/** Warm-up before each measure: this many requests, and at least WARMUP_SECONDS (JIT, caches). */
const WARMUP = 500;
const WARMUP_SECONDS = 2;
const REQUESTS = 1_000;
/** A measure stops here even if it has not made its REQUESTS (its line says so); its warm-up, sooner. */
const MAX_SECONDS_PER_MEASURE = 60;
const MAX_SECONDS_PER_WARMUP = 15;
const TARGET_P95_MS = 50;
/** Seeding runs as this many INSERT ... SELECT in parallel (one per core). */
const SEED_PARALLEL = 2;
const SEED_BATCH = 25_000;

if (!Number.isSafeInteger(ROWS) || ROWS < 1_000) throw new Error("BENCH_ROWS : un entier >= 1000 est attendu");

const DEPARTMENTS = [
  "Direction générale",
  "Ressources humaines",
  "Finances",
  "Culture et patrimoine",
  "Sports et jeunesse",
  "Action sociale",
  "Espaces verts",
  "Systèmes d'information",
];

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

const keptDir = process.env.BENCH_DATA_DIR ? path.resolve(process.env.BENCH_DATA_DIR) : null;
const workDir = keptDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "relais-bench-feeds-"));
fs.mkdirSync(workDir, { recursive: true });
fs.chmodSync(workDir, 0o755); // under root, postgres runs as the postgres user and must enter it

const ms = (start: number) => performance.now() - start;
const fmt = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/* ------------------------------------------------------------------------------------------- */
/* Seeding                                                                                      */

async function seed(database: Db): Promise<void> {
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

/**
 * Linux only (null elsewhere): CPU ticks of the whole machine, busy and total, and those of this
 * process plus the PostgreSQL serving `dataDir` (postmaster and its children).
 */
function cpuTicks(dataDir: string): { busy: number; total: number; ours: number } | null {
  try {
    const stat = (pid: number | string) => fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]; // user nice system irq softirq steal
    const postmaster = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    const pids = [process.pid, postmaster];
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (Number(stat(entry)[1]) === postmaster) pids.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    let ours = 0;
    for (const pid of pids) {
      const fields = stat(pid);
      ours += Number(fields[11]) + Number(fields[12]); // utime, stime
    }
    return { busy, total: busy + cpu[3] + cpu[4], ours };
  } catch {
    return null;
  }
}

/* ------------------------------------------------------------------------------------------- */
/* Load                                                                                         */

interface Measure {
  p50: number;
  p95: number;
  count: number;
  seconds: number;
  truncated: boolean;
}

/** `fn(i)` for WARMUP then REQUESTS requests, CONCURRENCY at a time; latencies of the latter. */
async function load(fn: (i: number) => Promise<unknown>): Promise<Measure> {
  const run = async (total: number, record: number[] | null, deadline: number) => {
    let next = 0;
    const worker = async () => {
      while (next < total && performance.now() < deadline) {
        const i = next++;
        const start = performance.now();
        await fn(i);
        record?.push(ms(start));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  const warmStart = performance.now();
  while (performance.now() - warmStart < WARMUP_SECONDS * 1000) {
    await run(WARMUP, null, warmStart + MAX_SECONDS_PER_WARMUP * 1000);
    if (performance.now() - warmStart >= MAX_SECONDS_PER_WARMUP * 1000) break;
  }
  const latencies: number[] = [];
  const start = performance.now();
  await run(REQUESTS, latencies, start + MAX_SECONDS_PER_MEASURE * 1000);
  const seconds = ms(start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    count: latencies.length,
    seconds,
    truncated: latencies.length < REQUESTS,
  };
}

/* ------------------------------------------------------------------------------------------- */

let server: EmbeddedPostgres | undefined;
let database: Db | undefined;
// Ctrl-C: no throwaway cluster or folder left behind.
process.once("SIGINT", () => {
  console.error("interrupted: stopping PostgreSQL");
  void (async () => {
    await database?.db.destroy().catch(() => {});
    await server?.stop();
    if (!keptDir) fs.rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  })();
});
try {
  server = await startEmbeddedPostgres({ dataDir: path.join(workDir, "pg") });
  // App modules read DATABASE_URL lazily (env.server.ts); they are imported below, after this.
  process.env.DATABASE_URL = server.url;
  await migrateToLatest(server.url);
  // The pool the app itself opens (poolSize(): 5 connections on 2 cores): the 20 concurrent
  // requests wait for one as they would in the app, rather than 20 PostgreSQL processes competing
  // for the cores.
  database = createDb(server.url);
  console.log(`pool: ${poolSize()} connections`);
  const db = database.db;

  const size = async () =>
    (await database!.pool.query<{ size: string }>("SELECT pg_size_pretty(pg_total_relation_size('contribution')) AS size"))
      .rows[0].size;
  const { rows: existing } = await database.pool.query<{ n: number }>("SELECT count(*) AS n FROM contribution");
  if (existing[0].n === 0) {
    console.log(`seeding ${ROWS.toLocaleString("en")} contributions…`);
    const seedStart = performance.now();
    await seed(database);
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

  const { departmentFeed, organisationFeed } = await import("../../app/contributions/feeds.server");
  const { searchPage } = await import("../../app/contributions/search.server");
  const { refreshTagUsage } = await import("../../app/contributions/tags.server");
  // The hourly roll-up behind the tag suggestions, as the worker would have left it.
  await refreshTagUsage(db);

  // One agent per department; requests take turns among them.
  const { rows: agents } = await database.pool.query<{ id: string; department_id: number }>(
    "SELECT DISTINCT ON (department_id) id, department_id FROM app_user ORDER BY department_id, id",
  );
  const viewers = agents.map((a) => ({ id: a.id, role: "agent" as const, departmentId: Number(a.department_id) }));
  const viewer = (i: number) => viewers[i % viewers.length];
  const secondPage = await Promise.all(viewers.map(async (v) => (await departmentFeed(db, v)).next));
  if (secondPage.some((cursor) => !cursor)) throw new Error("la première page du fil d'un service n'a pas de suite");

  type Case = { name: string; run: (on: DB, i: number) => Promise<{ items: unknown[] }> };
  // The search page as its loader asks for it: results, department choices and tag suggestions.
  const search = (q: string, tag?: string) => async (on: DB, i: number) => {
    const page = await searchPage(on, viewer(i), { q, tag });
    return { items: page.results!.items };
  };
  const cases: Case[] = [
    { name: "department feed", run: (on, i) => departmentFeed(on, viewer(i)) },
    { name: "department feed page 2", run: (on, i) => departmentFeed(on, viewer(i), secondPage[i % viewers.length]) },
    { name: "organisation feed", run: (on, i) => organisationFeed(on, viewer(i)) },
    { name: 'search "fête musique"', run: search("fête musique") },
    { name: 'search "équipe" (common)', run: search("équipe") },
    { name: 'search "conservatoire" (uncommon)', run: search("conservatoire") },
    { name: 'search "kermesse" (rare)', run: search("kermesse") },
    { name: 'search "atelier" + tag "culture"', run: search("atelier", "culture") },
  ];

  // A search that finds nothing would measure nothing: the data set must give each one work.
  for (const c of cases.filter((c) => c.name.startsWith("search"))) {
    const found = await c.run(db, 0);
    if (found.items.length === 0) throw new Error(`${c.name} : aucun résultat, le jeu de données ne convient pas`);
  }

  const cpuBefore = cpuTicks(server.dataDir);
  // The machine's speed drifts during a run (shared cores): each case is compared with a bare
  // `SELECT 1` measured just before it, through the same pool and harness.
  const bareMeasure = async () => {
    const bare = await load(() => sql`SELECT 1`.execute(db));
    console.log(
      `  bare SELECT 1 p95: ${fmt(bare.p95)} ms (p50 ${fmt(bare.p50)} ms, ${(bare.count / bare.seconds).toFixed(0)} req/s) ` +
        `at ${CONCURRENCY} concurrent requests`,
    );
    return bare;
  };

  const failed: Case[] = [];
  // BENCH_ONLY=search (say) measures only the cases whose name contains it.
  for (const c of cases.filter((c) => c.name.includes(process.env.BENCH_ONLY ?? ""))) {
    const bare = await bareMeasure();
    const m = await load((i) => c.run(db, i));
    const ok = m.p95 < TARGET_P95_MS && !m.truncated;
    if (!ok) failed.push(c);
    console.log(
      `${c.name} p95: ${fmt(m.p95)} ms (p50 ${fmt(m.p50)} ms, ${(m.count / m.seconds).toFixed(0)} req/s) = ` +
        `${(m.p95 / bare.p95).toFixed(1)}x bare SELECT 1 (target p95 < ${TARGET_P95_MS} ms) ${ok ? "OK" : "FAIL"}` +
        (m.truncated ? ` [stopped after ${MAX_SECONDS_PER_MEASURE} s, ${m.count}/${REQUESTS} requests]` : ""),
    );
  }

  // Client, app code and PostgreSQL share this machine's cores: say how much other processes took.
  const cpuAfter = cpuTicks(server.dataDir);
  if (cpuBefore && cpuAfter) {
    const others = (cpuAfter.busy - cpuBefore.busy - (cpuAfter.ours - cpuBefore.ours)) / (cpuAfter.total - cpuBefore.total);
    console.log(
      `machine: ${os.cpus().length} cores; other processes took ${(Math.max(0, others) * 100).toFixed(0)}% of the CPU during the measures` +
        (others > 0.1 ? " (absolute times are inflated by that; ratios much less)" : ""),
    );
  }

  // For each miss, the plans of its queries as the app sends them (captured, then explained alone).
  if (failed.length > 0) {
    let captured: CompiledQuery[] = [];
    // Same pool, with a log hook; not destroyed (that would end the pool, which is done below).
    const capture = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: database.pool }),
      log: (event) => {
        if (event.level === "query") captured.push(event.query);
      },
    });
    for (const c of failed) {
      captured = [];
      await c.run(capture, 0);
      for (const query of captured) {
        const plan = await database.pool.query<{ "QUERY PLAN": string }>(
          `EXPLAIN (ANALYZE, BUFFERS) ${query.sql}`,
          query.parameters as unknown[],
        );
        console.log(`\n--- ${c.name}: EXPLAIN (ANALYZE, BUFFERS), alone ---\n${query.sql}\n`);
        console.log(plan.rows.map((r) => r["QUERY PLAN"]).join("\n"));
      }
    }
  }
  process.exitCode = failed.length === 0 ? 0 : 1;
} finally {
  await database?.db.destroy().catch(() => {});
  await server?.stop();
  if (!keptDir) fs.rmSync(workDir, { recursive: true, force: true });
}
