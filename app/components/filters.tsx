import { useTranslation } from "react-i18next";
import type { FieldErrors } from "~/utils/forms";
import { unpack, type Packed } from "~/utils/packed";
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

interface FiltersProps {
  departments: Packed<{ id: number; name: string }[]>;
  tags: Packed<string[]>;
  department?: number | string;
  tag?: string | number;
  errors?: FieldErrors | null;
}

/**
 * The department and tag filters shared by search and the review inbox, as two fields of the
 * enclosing row. Their markup (a hundred departments, fifty tags) is the same for everyone of a
 * department asking with the same values: it is kept (KeptMarkup), as the rows below them are.
 */
export function DepartmentTagFilters(props: FiltersProps) {
  const { departments, tags, department, tag, errors } = props;
  return (
    <KeptMarkup className="contents" depends={[departments, tags, department ?? null, tag ?? null, errors?.department ?? null, errors?.tag ?? null]}>
      <FilterFields {...props} />
    </KeptMarkup>
  );
}

/** The fields: a pure function of their props and the language. */
function FilterFields({ departments: packedDepartments, tags: packedTags, department, tag, errors }: FiltersProps) {
  const departments = unpack(packedDepartments);
  const tags = unpack(packedTags);
  const { t } = useTranslation();
  const msg = useMsg();
  const departmentError = msg(errors?.department);
  const tagError = msg(errors?.tag);
  return (
    <>
      <div className="grow field">
        <label htmlFor="department">{t("search.department")}</label>
        <select
          id="department"
          name="department"
          defaultValue={department ?? ""}
          aria-invalid={departmentError ? true : undefined}
          aria-describedby={departmentError ? "department-error" : undefined}
        >
          <option value="">{t("search.any")}</option>
          <DepartmentOptions departments={departments} />
        </select>
        <FieldError id="department-error" message={departmentError} />
      </div>
      <div className="grow field">
        <label htmlFor="tag">{t("search.tag")}</label>
        <input
          id="tag"
          type="text"
          name="tag"
          list="tag-list"
          defaultValue={tag ?? ""}
          maxLength={40}
          aria-invalid={tagError ? true : undefined}
          aria-describedby={tagError ? "tag-error" : undefined}
        />
        <FieldError id="tag-error" message={tagError} />
        <datalist id="tag-list">
          {tags.map((one) => (
            <option key={one} value={one} />
          ))}
        </datalist>
      </div>
    </>
  );
}
