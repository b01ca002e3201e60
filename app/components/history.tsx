import { useTranslation } from "react-i18next";
import { useDates } from "~/utils/dates";

export interface HistoryItem {
  id: number;
  kind: string;
  message: string | null;
  data: unknown;
  created_at: string | Date;
  actor_name: string | null;
}

/** A revised value as text: photo descriptions come as { "photo number": text }. */
function show(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return Object.entries(value as Record<string, string>)
    .map(([n, text]) => `${n}. ${text}`)
    .join("\n");
}

/** Every decision, comment of a decision and edit of a contribution, oldest first. */
export function History({ events }: { events: HistoryItem[] }) {
  const { t } = useTranslation();
  const dates = useDates();
  return (
    <section aria-labelledby="history-title" className="card">
      <h2 id="history-title">{t("history.title")}</h2>
      <ol className="history">
        {events.map((e) => {
          const { changed, before = {}, after = {} } = (e.data ?? {}) as {
            changed?: string[];
            before?: Record<string, unknown>;
            after?: Record<string, unknown>;
          };
          return (
            <li key={e.id}>
              <strong>{t(`history.${e.kind}`, { actor: e.actor_name ?? t("history.someone") })}</strong>{" "}
              <time className="muted" dateTime={new Date(e.created_at).toISOString()}>
                {dates.dateTime(e.created_at)}
              </time>
              {e.message ? <p className="reason">« {e.message} »</p> : null}
              {changed?.length ? (
                <details>
                  <summary>{t("history.changed", { fields: changed.map((f) => t(`history.fields.${f}`)).join(", ") })}</summary>
                  <dl className="revision">
                    {changed.map((field) => (
                      <div key={field}>
                        <dt>{t(`history.fields.${field}`)}</dt>
                        <dd>
                          <del>{show(before[field])}</del>
                          <ins>{show(after[field])}</ins>
                        </dd>
                      </div>
                    ))}
                  </dl>
                </details>
              ) : null}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
