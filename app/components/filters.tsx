import { useTranslation } from "react-i18next";

/** One <option> per department, for a department <select>. */
export function DepartmentOptions({ departments }: { departments: { id: number; name: string }[] }) {
  return departments.map((d) => (
    <option key={d.id} value={d.id}>
      {d.name}
    </option>
  ));
}

/** The department and tag filters shared by search and the review inbox. */
export function DepartmentTagFilters({
  departments,
  tags,
  department,
  tag,
}: {
  departments: { id: number; name: string }[];
  tags: string[];
  department?: number;
  tag?: string;
}) {
  const { t } = useTranslation();
  return (
    <>
      <div className="grow field">
        <label htmlFor="department">{t("search.department")}</label>
        <select id="department" name="department" defaultValue={department ?? ""}>
          <option value="">{t("search.any")}</option>
          <DepartmentOptions departments={departments} />
        </select>
      </div>
      <div className="grow field">
        <label htmlFor="tag">{t("search.tag")}</label>
        <input id="tag" name="tag" list="tag-list" defaultValue={tag ?? ""} maxLength={40} />
        <datalist id="tag-list">
          {tags.map((one) => (
            <option key={one} value={one} />
          ))}
        </datalist>
      </div>
    </>
  );
}
