import { useLocation } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { Role } from "../../db/schema";
import { WRITERS } from "~/contributions/schema";
import { useClientNavigation } from "./client-navigation";

interface ShellUser {
  id: string;
  displayName: string;
  role: Role;
  /** Setting up a required second factor: no page but that one is open, so no links to them. */
  enrolling?: boolean;
}

interface NavItem {
  to: string;
  label: string;
  end?: boolean;
}

/** The links a role sees; the pages behind them check the role again on the server. */
export function navItems(role: Role): NavItem[] {
  const writes = WRITERS.includes(role);
  const items: NavItem[] = [
    { to: "/", label: "nav.feed", end: true },
    ...(writes ? [{ to: "/contributions/new", label: "nav.newContribution" }, { to: "/my", label: "nav.myContributions", end: true }, { to: "/my/summary", label: "statistics.summary.link" }] : []),
    { to: "/search", label: "nav.search" },
  ];
  if (role === "comms") items.push({ to: "/review", label: "nav.review" });
  if (role !== "agent") items.push({ to: "/statistics", label: "nav.stats" });
  if (role === "comms" || role === "admin") items.push({ to: "/publishing", label: "nav.publishing" }, { to: "/consents", label: "nav.consents" });
  if (role === "admin") {
    items.push({ to: "/admin/users", label: "nav.users" }, { to: "/admin/departments", label: "nav.departments" }, { to: "/admin/audit", label: "nav.audit" }, { to: "/admin/register", label: "nav.register" }, { to: "/admin/settings", label: "nav.orgSettings" });
  }
  return items;
}

/** Whether a menu link is the current page's (as NavLink: the path itself, or below it unless `end`). */
function isCurrent(pathname: string, item: NavItem): boolean {
  const here = pathname.toLowerCase().replace(/(.)\/+$/, "$1");
  return here === item.to || (!item.end && item.to !== "/" && here.startsWith(`${item.to}/`));
}

/**
 * The page's frame. Its links and the sign-out form are plain HTML, made live by one set of
 * handlers on the header and the footer (useClientNavigation): a dozen Links and NavLinks cost
 * every page several router hooks each.
 */
export function Layout({ user, unread, children }: { user: ShellUser | null; unread: number; children: React.ReactNode }) {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const live = useClientNavigation();
  return (
    <>
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <header className="site-header" {...live}>
        <div className="bar">
          <a href="/" className="brand">
            {t("app.name")}
          </a>
          {user ? (
            <div className="user-tools">
              {user.enrolling ? (
                <span className="who">{user.displayName}</span>
              ) : (
                <>
                  <a
                    href="/notifications"
                    className="bell"
                    aria-label={unread ? t("nav.notificationsUnread", { count: unread }) : t("nav.notifications")}
                  >
                    <svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2">
                      <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.7 21a2 2 0 0 1-3.4 0" />
                    </svg>
                    {unread > 0 && <span className="badge">{unread}</span>}
                  </a>
                  <a href="/settings" className="who">
                    {user.displayName}
                    <span className="role">{t(`roles.${user.role}`)}</span>
                  </a>
                </>
              )}
              <form method="post" action="/logout">
                <button type="submit" className="link-button">
                  {t("nav.logout")}
                </button>
              </form>
            </div>
          ) : null}
        </div>
        {user && !user.enrolling ? (
          <nav aria-label={t("nav.main")} className="main-nav">
            <ul>
              {navItems(user.role).map((item) => (
                <li key={item.to}>
                  {isCurrent(pathname, item) ? (
                    <a href={item.to} className="active" aria-current="page">
                      {t(item.label)}
                    </a>
                  ) : (
                    <a href={item.to}>{t(item.label)}</a>
                  )}
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      {user ? (
        <footer className="site-footer" {...live}>
          <nav aria-label={t("nav.footer")}>
            <a href="/privacy">{t("nav.privacy")}</a>
          </nav>
        </footer>
      ) : null}
    </>
  );
}
