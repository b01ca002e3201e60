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
 * inner HTML alone when it hydrates it, and should React render the page anew (a hydration error:
 * a browser extension that changed the page), it writes back the markup read before hydrating
 * (rememberServerMarkup). After a navigation inside the page the rows came as data, and React renders
 * them (another key: the server's markup goes). Its children must read nothing else, and need no
 * React in the browser: no router hook or handler (links and forms are plain, inside a
 * ClientNavigation), no time zone or user from context (pass them in `depends`), no useId.
 */
export function KeptMarkup({
  depends,
  as: Tag = "div",
  className,
  name: given,
  "aria-label": ariaLabel,
  children,
}: {
  depends: unknown;
  /** Tells apart two kept elements of a page with the same element, class and label. */
  name?: string;
  /** The element that holds the markup (a table's rows go in a tbody). */
  as?: "div" | "header" | "ol" | "ul" | "tbody";
  className?: string;
  "aria-label"?: string;
  children: ReactNode;
}) {
  const keep = useContext(MarkupKeeperContext);
  const name = keptName(Tag, className, ariaLabel, given);
  if (keep === null) {
    if (cameAsMarkup(depends)) {
      const html = fromServer.get(name) ?? "";
      return <Tag key="markup" data-kept={name} className={className} aria-label={ariaLabel} dangerouslySetInnerHTML={{ __html: html }} suppressHydrationWarning />;
    }
    return (
      <Tag key="rendered" data-kept={name} className={className} aria-label={ariaLabel}>
        {children}
      </Tag>
    );
  }
  return <Tag data-kept={name} className={className} aria-label={ariaLabel} dangerouslySetInnerHTML={{ __html: keep(depends, children) }} />;
}

/**
 * A kept element's name in its page, the same on the server and in the browser, hydrating or not
 * (useId is not: React numbers anew when it renders a page itself): its element, class and label,
 * and the name given, if any.
 */
function keptName(tag: string, className: string | undefined, ariaLabel: string | undefined, given: string | undefined): string {
  return [tag, className ?? "", ariaLabel ?? "", ...(given ? [given] : [])].join("|");
}

/** The markup of each kept element of the page as the server sent it, by its name (data-kept). */
const fromServer = new Map<string, string>();

/**
 * Reads the kept elements' markup before React hydrates the page (entry.client.tsx). Two elements of
 * the same name (none today) are both left out: better empty than the other one's rows.
 */
export function rememberServerMarkup(root: ParentNode) {
  const seen = new Set<string>();
  for (const element of root.querySelectorAll<HTMLElement>("[data-kept]")) {
    const name = element.dataset.kept ?? "";
    if (seen.has(name)) fromServer.delete(name);
    else fromServer.set(name, element.innerHTML);
    seen.add(name);
  }
}
