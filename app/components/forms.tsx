import { useTranslation } from "react-i18next";
import type { FieldErrors, Msg } from "~/utils/forms";

export function useMsg() {
  const { t } = useTranslation();
  return (msg: Msg | undefined) => (msg === undefined ? undefined : typeof msg === "string" ? t(msg) : t(msg[0], msg[1]));
}

interface FieldProps extends React.InputHTMLAttributes<HTMLInputElement> {
  name: string;
  label: string;
  errors?: FieldErrors;
  hint?: string;
}

/** A labelled input with its hint and its error, linked for screen readers. */
export function Field({ name, label, errors, hint, id, ...input }: FieldProps) {
  const msg = useMsg();
  const fieldId = id ?? `f-${name}`;
  const error = msg(errors?.[name]);
  const describedBy = [hint ? `${fieldId}-hint` : null, error ? `${fieldId}-error` : null].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={fieldId}>{label}</label>
      <input id={fieldId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy || undefined} {...input} />
      {hint ? (
        <p className="hint" id={`${fieldId}-hint`}>
          {hint}
        </p>
      ) : null}
      <FieldError id={`${fieldId}-error`} message={error} />
    </div>
  );
}

export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p className="field-error" id={id} role="alert">
      {message}
    </p>
  );
}

export function FormError({ errors }: { errors?: FieldErrors }) {
  const msg = useMsg();
  const message = msg(errors?.form);
  if (!message) return null;
  return (
    <p className="alert" role="alert">
      {message}
    </p>
  );
}
