import { useTranslation } from "react-i18next";
import type { FieldErrors } from "~/utils/forms";
import { cameAsMarkup, unpack, type Packed } from "~/utils/packed";
import { FieldError, useMsg } from "./forms";
import { KeptMarkup } from "./kept-markup";

/** One <option> per department, for a department <select>. */
export function DepartmentOptions({ departments }: { departments: { id: number; name: string }[] }) {
  return departments.map((d) => (
    <option key={d.id} value={d.id}>
      {d.name}
    </option>
  ));
}

/**
 * The department and tag filters shared by search and the review inbox, two fields of the
 * enclosing row. Both are kept as markup (KeptMarkup): the department's, a select of every
 * department, one copy per department chosen; the tag's, with its list of suggestions, one per tag
 * typed. Either may come as markup only (shownAsMarkup).
 */
export function DepartmentTagFilters({
  departments,
  tags,
  department,
  tag,
  errors,
}: {
  departments: Packed<{ id: number; name: string }[]>;
  tags: Packed<string[]>;
  department?: number | string;
  tag?: string | number;
  errors?: FieldErrors | null;
}) {
  const msg = useMsg();
  const departmentError = msg(errors?.department) ?? null;
  const tagError = msg(errors?.tag) ?? null;
  // A value that is no department's (a hand-edited URL) selects nothing, as no value does: the
  // same markup, so one key for both, and no copy per value sent.
  // (A list that came to the browser as markup only is not read there: KeptMarkup keeps that markup.)
  const chosen = !cameAsMarkup(departments) && unpack(departments).some((d) => String(d.id) === String(department)) ? String(department) : "";
  const typed = String(tag ?? "");
  return (
    <>
      <KeptMarkup className="grow field" depends={[departments, chosen, departmentError]}>
        <DepartmentField departments={departments} department={chosen} error={departmentError} />
      </KeptMarkup>
      <KeptMarkup className="grow field" name="tag" depends={[tags, typed, tagError]}>
        <TagField tags={tags} tag={typed} error={tagError} />
      </KeptMarkup>
    </>
  );
}

/** The department field: a pure function of its props and the language. */
function DepartmentField({ departments, department, error }: { departments: Packed<{ id: number; name: string }[]>; department: string; error: string | null }) {
  const { t } = useTranslation();
  return (
    <>
      <label htmlFor="department">{t("search.department")}</label>
      <select id="department" name="department" defaultValue={department} aria-invalid={error ? true : undefined} aria-describedby={error ? "department-error" : undefined}>
        <option value="">{t("search.any")}</option>
        <DepartmentOptions departments={unpack(departments)} />
      </select>
      <FieldError id="department-error" message={error ?? undefined} />
    </>
  );
}

/** The tag field and its suggestions: a pure function of its props and the language. */
function TagField({ tags, tag, error }: { tags: Packed<string[]>; tag: string; error: string | null }) {
  const { t } = useTranslation();
  return (
    <>
      <label htmlFor="tag">{t("search.tag")}</label>
      <input
        id="tag"
        type="text"
        name="tag"
        list="tag-list"
        defaultValue={tag}
        maxLength={40}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? "tag-error" : undefined}
      />
      <FieldError id="tag-error" message={error ?? undefined} />
      <datalist id="tag-list">
        {unpack(tags).map((one) => (
          <option key={one} value={one} />
        ))}
      </datalist>
    </>
  );
}
