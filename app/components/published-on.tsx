import { useTranslation } from "react-i18next";

/** "Publiée sur <canal>", each with the post's link when there is one. */
export function PublishedOn({ places }: { places: { channel: string; url: string | null }[] }) {
  const { t } = useTranslation();
  if (places.length === 0) return null;
  return (
    <ul className="published-on">
      {places.map((p, i) => (
        <li key={`${p.channel}-${i}`}>{p.url ? <a href={p.url}>{t("publishing.contributor.publishedOn", { channel: p.channel })}</a> : t("publishing.contributor.publishedOn", { channel: p.channel })}</li>
      ))}
    </ul>
  );
}
