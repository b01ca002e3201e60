import { useNavigate, useNavigation, useSubmit } from "@remix-run/react";
import type { FormEvent, MouseEvent, ReactNode } from "react";

/**
 * Plain links and forms inside `children` behave as Remix's <Link> and <Form> do: a click on a link
 * of this site opens it without reloading the page, a form is sent by the router (its action and
 * the button pressed, as Remix sends them, once at a time), and a button with `data-confirm` asks
 * first. For parts of pages that may not call router hooks (KeptMarkup) or that hold many links and
 * forms: three hooks here instead of three or four in each of them. Without JavaScript they are
 * plain links and forms, which work too (give forms their action: useFormAction()). A link to a file
 * rather than a page (a download) takes `download` or `data-document`, and loads as a document.
 */
export function ClientNavigation({ className, children }: { className?: string; children: ReactNode }) {
  return (
    <div className={className} {...useClientNavigation()}>
      {children}
    </div>
  );
}

/** ClientNavigation's handlers, for an element that is already there (the layout's header). */
export function useClientNavigation() {
  const navigate = useNavigate();
  const submit = useSubmit();
  const busy = useNavigation().state === "submitting";

  const onClick = (event: MouseEvent<HTMLElement>) => {
    const target = event.target instanceof Element ? event.target : null;
    const confirmed = target?.closest<HTMLButtonElement>("button[data-confirm]");
    if (confirmed) {
      if (busy || !window.confirm(confirmed.dataset.confirm ?? "")) event.preventDefault();
      return;
    }
    const link = target?.closest<HTMLAnchorElement>("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.altKey || event.ctrlKey || event.shiftKey) return;
    if ((link.target && link.target !== "_self") || link.hasAttribute("download") || link.hasAttribute("data-document") || link.origin !== window.location.origin) return;
    event.preventDefault();
    navigate(link.pathname + link.search + link.hash);
  };

  const onSubmit = (event: FormEvent<HTMLElement>) => {
    const form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
    event.preventDefault();
    if (busy) return;
    const submitter = (event.nativeEvent as SubmitEvent).submitter;
    submit(submitter instanceof HTMLButtonElement || submitter instanceof HTMLInputElement ? submitter : form);
  };

  return { onClick, onSubmit };
}
