import pg from "pg";
import fs from "node:fs";
const c = new pg.Client(process.argv[2]); await c.connect();
const pid = (await c.query("select pg_backend_pid() p")).rows[0].p;
const cpu = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10; };
const q = `SELECT s.user_id, s.expires_at, s.created_at, s.last_seen_at, s.password_checked_at, s.browser, s.platform,
         u.email, u.display_name, u.role, u.department_id, u.locale, u.active,
         EXISTS (SELECT 1 FROM two_factor t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL) AS two_factor,
         (SELECT count(*)::int FROM notification n WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread_notifications,
         o.settings::text AS settings
       FROM user_session s JOIN app_user u ON u.id = s.user_id LEFT JOIN organisation_settings o ON o.id
       WHERE s.id = $1`;
const N = 5000;
for (const mode of ["unnamed", "named", "select1"]) {
  const a = cpu(); const t = performance.now();
  for (let i = 0; i < N; i++) {
    if (mode === "select1") await c.query({ text: "select 1", values: [] , name: "s1"});
    else await c.query(mode === "named" ? { name: "s", text: q, values: [process.argv[3]] } : { text: q, values: [process.argv[3]] });
  }
  console.log(mode, "PG ms/query", ((cpu() - a) / N).toFixed(3), "wall", ((performance.now() - t) / N).toFixed(3));
}
await c.end();
