import { createContext, useContext, type ReactNode } from "react";
import { cameAsMarkup } from "~/utils/packed";

/**
 * Returns the markup of `children`, kept for as long as `depends` (and the language) stay the same.
 * Given by entry.server.tsx (app/server/kept-markup.server.tsx); absent in the browser.
 */
export type MarkupKeeper = (depends: unknown, children: ReactNode) => string;
export const MarkupKeeperContext = createContext<MarkupKeeper | null>(null);

/**
 * A large part of a page that is a pure function of `depends` and the language: the same figures
 * for everyone who may see them (the statistics dashboard's tables and charts), the same rows of
 * the publishing queue for every comms member. On the server its markup is rendered once per
 * distinct `depends` and reused. In the browser, when a whole page sent its rows as markup only
 * (utils/packed.ts, shownAsMarkup), the server's markup stays as it is: React leaves an element's
 * inner HTML alone when it hydrates it; after a navigation inside the page, the rows came as data,
 * and it renders them (another key: the server's markup goes). Its children must read nothing
 * else, and need no React in the browser: no router hook or handler (links and forms are plain,
 * inside a ClientNavigation), no time zone or user from context (pass them in `depends`), no useId.
 */
export function KeptMarkup({
  depends,
  as: Tag = "div",
  className,
  "aria-label": ariaLabel,
  children,
}: {
  depends: unknown;
  /** The element that holds the markup (a table's rows go in a tbody). */
  as?: "div" | "ol" | "ul" | "tbody";
  className?: string;
  "aria-label"?: string;
  children: ReactNode;
}) {
  const keep = useContext(MarkupKeeperContext);
  if (keep === null) {
    if (cameAsMarkup(depends)) return <Tag key="markup" className={className} aria-label={ariaLabel} dangerouslySetInnerHTML={{ __html: "" }} suppressHydrationWarning />;
    return (
      <Tag key="rendered" className={className} aria-label={ariaLabel}>
        {children}
      </Tag>
    );
  }
  return <Tag className={className} aria-label={ariaLabel} dangerouslySetInnerHTML={{ __html: keep(depends, children) }} />;
}
