import { useTranslation } from "react-i18next";

/** How long each kind of data is kept, as the register and the privacy page both say it. */
export function RetentionList({ lines }: { lines: { item: string; months: number | null }[] }) {
  const { t } = useTranslation();
  return (
    <ul>
      {lines.map((line) => (
        <li key={line.item}>{t(`register.retention.${line.item}`, line.months === null ? {} : { months: line.months })}</li>
      ))}
    </ul>
  );
}
