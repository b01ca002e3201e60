import type { ReactNode } from "react";
import type { Msg } from "~/utils/forms";
import { useMsg } from "./forms";

/** A short confirmation after an action ("Publication annulée."), read out by screen readers. */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <p className="notice" role="status">
      {children}
    </p>
  );
}

/** The action's `message` (a translation key, or one with its values) as a Notice; nothing without one. */
export function ResultNotice({ result }: { result: unknown }) {
  const msg = useMsg();
  if (!result || typeof result !== "object" || !("message" in result)) return null;
  const text = msg(result.message as Msg);
  return text ? <Notice>{text}</Notice> : null;
}
