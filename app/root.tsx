import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from "@remix-run/react";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { errorKind, GeneralErrorBoundary } from "./components/error-boundary";
import { useFocusAfterSubmit } from "./components/forms";
import { Layout as Shell } from "./components/layout";
import { getSession } from "./auth/guards.server";
import { organisationTimeZone } from "./organisation/calendar.server";
import { isLocale, pickLocale, tFor } from "./i18n/i18n";
import { useNonce } from "./utils/nonce";
import styles from "./styles/app.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: styles },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction<typeof loader> = ({ data, error }) => {
  if (!error) return [{ title: "Relais" }];
  // An error page says what happened in its title too (the first thing a screen reader reads).
  const { key } = errorKind(error);
  const t = tFor(isLocale(data?.locale) ? data.locale : "fr");
  return [{ title: `${t(`errors.pageTitle.${key}`)} · Relais` }];
};

export async function loader({ request }: LoaderFunctionArgs) {
  const current = await getSession(request);
  const user = current.user;
  const locale = pickLocale(user?.locale, request.headers.get("Accept-Language"));
  // Counted by the session's own query (session.server.ts): one query per page, not two.
  const unread = current.user ? current.unreadNotifications : 0;
  const headers = current.setCookie ? { "Set-Cookie": current.setCookie } : undefined;
  return data(
    {
      locale,
      unread,
      // Dates are formatted in the browser too: it must use the same zone as the server's render.
      timeZone: organisationTimeZone(),
      // While the organisation requires a second factor this account lacks, every page but enrolment
      // sends there: the shell offers none of them (enrolling).
      user: user && {
        id: user.id,
        displayName: user.displayName,
        role: user.role,
        departmentId: user.departmentId,
        enrolling: "twoFactor" in current && current.twoFactor.missing,
      },
    },
    { headers },
  );
}

export function useRootData() {
  return useRouteLoaderData<typeof loader>("root");
}

export function Layout({ children }: { children: React.ReactNode }) {
  const root = useRootData();
  const nonce = useNonce();
  const locale = root?.locale ?? "fr";
  const { i18n } = useTranslation();
  useEffect(() => {
    if (i18n.language !== locale) void i18n.changeLanguage(locale);
  }, [i18n, locale]);
  return (
    <html lang={locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <Shell user={root?.user ?? null} unread={root?.unread ?? 0}>
          {children}
        </Shell>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  useFocusAfterSubmit();
  return <Outlet />;
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />;
}
