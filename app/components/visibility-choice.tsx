import type { Visibility } from "../../db/schema";
import { FieldError } from "./forms";

/** Department or whole organisation, as radios: the author's wish, or the reviewer's decision. */
export function VisibilityChoice({
  name,
  legend,
  labels,
  defaultValue,
  error,
}: {
  name: string;
  legend: string;
  labels: Record<Visibility, string>;
  defaultValue: Visibility;
  error?: string;
}) {
  return (
    <fieldset aria-describedby={error ? `${name}-error` : undefined}>
      <legend>{legend}</legend>
      {(["department", "organisation"] as const).map((value) => (
        <label className="choice" key={value}>
          <input type="radio" name={name} value={value} defaultChecked={defaultValue === value} aria-invalid={error ? true : undefined} />
          {labels[value]}
        </label>
      ))}
      <FieldError id={`${name}-error`} message={error} />
    </fieldset>
  );
}
