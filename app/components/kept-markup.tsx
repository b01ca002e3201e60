import { createContext, useContext, type ReactNode } from "react";

/**
 * Returns the markup of `children`, kept for as long as `depends` (and the language) stay the same.
 * Given by entry.server.tsx (app/server/kept-markup.server.tsx); absent in the browser.
 */
export type MarkupKeeper = (depends: unknown, children: ReactNode) => string;
export const MarkupKeeperContext = createContext<MarkupKeeper | null>(null);

/**
 * A large part of a page that is a pure function of `depends` and the language: the same figures
 * for everyone who may see them (the statistics dashboard's tables and charts). On the server its
 * markup is rendered once per distinct `depends` and reused; in the browser it renders and hydrates
 * as usual, against the same markup. Its children must read nothing else: no router hook, no time
 * zone or user from context (pass them in `depends`), no useId.
 */
export function KeptMarkup({ depends, className, children }: { depends: unknown; className?: string; children: ReactNode }) {
  const keep = useContext(MarkupKeeperContext);
  if (keep === null) return <div className={className}>{children}</div>;
  return <div className={className} dangerouslySetInnerHTML={{ __html: keep(depends, children) }} />;
}
