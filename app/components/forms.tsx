import { useLocation, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
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
  return (
    <div className="field">
      <label htmlFor={fieldId}>{label}</label>
      <input id={fieldId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(hint ? `${fieldId}-hint` : null, error ? `${fieldId}-error` : null)} {...input} />
      {hint ? (
        <p className="hint" id={`${fieldId}-hint`}>
          {hint}
        </p>
      ) : null}
      <FieldError id={`${fieldId}-error`} message={error} />
    </div>
  );
}

/** An aria-describedby value naming only the ids given (those rendered), or nothing. */
export function describedBy(...ids: (string | null | undefined | false)[]): string | undefined {
  return ids.filter(Boolean).join(" ") || undefined;
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
    // Focusable from script: focus moves here after a refused submission with no invalid field.
    <p className="alert" role="alert" tabIndex={-1}>
      {message}
    </p>
  );
}

type SubmitButtonProps = React.ButtonHTMLAttributes<HTMLButtonElement> & {
  /** A question to confirm first (window.confirm); cancelling sends nothing. */
  confirm?: string;
};

/**
 * A submit button that stays focusable while the page is sending: `disabled` would drop the
 * keyboard focus to the page's top. A second press while busy is ignored instead.
 */
export function SubmitButton({ confirm, onClick, "aria-disabled": ariaDisabled, ...props }: SubmitButtonProps) {
  const busy = useNavigation().state === "submitting";
  const unavailable = busy || ariaDisabled === true || ariaDisabled === "true";
  return (
    <button
      type="submit"
      {...props}
      aria-disabled={unavailable || undefined}
      onClick={(event) => {
        if (unavailable || (confirm && !window.confirm(confirm))) {
          event.preventDefault();
          return;
        }
        onClick?.(event);
      }}
    />
  );
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([type="hidden"]):not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [contenteditable="true"], [tabindex]:not([tabindex="-1"])';

function focusOn(element: HTMLElement, scroll: "center" | "none" = "center") {
  if (!element.matches(FOCUSABLE) && !element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
  element.focus({ preventScroll: true });
  if (scroll === "center") element.scrollIntoView({ block: "center" });
}

function visible(element: Element) {
  return element.getClientRects().length > 0;
}

/**
 * Keeps the keyboard focus where it makes sense once a form has been sent and answered (call once,
 * in the root). When the answer carries errors: the sent form's first invalid field, else its error
 * message, else the page's error message. Otherwise, if the focus was lost (the button or the form
 * went away, the page changed): the same button when it is still there, the confirmation message
 * of a new page, or the nearest part of the page still there. A form marked data-reset-on-success
 * is emptied after a successful sending.
 */
export function useFocusAfterSubmit() {
  const navigation = useNavigation();
  const location = useLocation();
  const sent = useRef<{ form: HTMLFormElement; ancestors: HTMLElement[]; submitter: { name: string; value: string; text: string; label: string | null } | null; href: string } | null>(null);
  const submitting = useRef(false);

  useEffect(() => {
    function onSubmit(event: SubmitEvent) {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || (form.method || "get").toLowerCase() === "get") return;
      const ancestors: HTMLElement[] = [];
      for (let e = form.parentElement; e; e = e.parentElement) ancestors.push(e);
      const s = event.submitter as HTMLButtonElement | null;
      sent.current = {
        form,
        ancestors,
        submitter: s ? { name: s.name, value: s.value, text: s.textContent ?? "", label: s.getAttribute("aria-label") } : null,
        href: window.location.pathname + window.location.search,
      };
    }
    document.addEventListener("submit", onSubmit, true);
    return () => document.removeEventListener("submit", onSubmit, true);
  }, []);

  useEffect(() => {
    if (navigation.state === "submitting") {
      submitting.current = true;
      return;
    }
    if (navigation.state !== "idle" || !submitting.current) return;
    submitting.current = false;
    const last = sent.current;
    sent.current = null;
    if (!last) return;
    const main = document.getElementById("main");
    const form = last.form.isConnected ? last.form : null;

    // Refused: the first invalid field of the form, else its message, else the page's message.
    const invalid = form?.querySelector<HTMLElement>('[aria-invalid="true"]');
    const alert = form?.querySelector<HTMLElement>('[role="alert"]') ?? main?.querySelector<HTMLElement>('[role="alert"]');
    if (invalid && visible(invalid)) return focusOn(invalid);
    if (alert) return focusOn(alert);

    if (form?.hasAttribute("data-reset-on-success")) form.reset();
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    const moved = window.location.pathname + window.location.search !== last.href;
    const status = main?.querySelector<HTMLElement>('[role="status"]');
    if (moved && status) return focusOn(status, "none");
    if (last.submitter) {
      // Its value and accessible name too: a list's rows have the same buttons, told apart by their value (the queue's "retry=12") or by an aria-label naming their row.
      const { name, value, text, label } = last.submitter;
      const same = [...document.querySelectorAll<HTMLButtonElement>("button")].filter(
        (b) => b.name === name && b.value === value && b.textContent === text && b.getAttribute("aria-label") === label && visible(b),
      );
      if (same.length === 1) return focusOn(same[0], "none");
    }
    if (!moved) {
      // The nearest part of the page still there (the list item, the section), not beyond.
      for (const ancestor of last.ancestors) {
        if (!ancestor.isConnected) continue;
        if (ancestor === main || !main?.contains(ancestor)) break;
        const target = [...ancestor.querySelectorAll<HTMLElement>(FOCUSABLE)].find(visible);
        if (target) return focusOn(target, "none");
        if (ancestor.matches("section, article, li")) break;
      }
    }
    if (status) return focusOn(status, "none");
    if (main) focusOn(main, "none");
  }, [navigation.state, location]);
}
