import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { Field, FormError, SubmitButton } from "~/components/forms";
import { getSession, requireRecentAuth, requireUser } from "~/auth/guards.server";
import { endSessions, listSessions } from "~/auth/sessions.server";
import {
  cancelEnrolment,
  confirmEnrolment,
  disableTwoFactor,
  groupSecret,
  qrSvg,
  regenerateRecoveryCodes,
  startEnrolment,
  twoFactorStatus,
} from "~/auth/two-factor.server";
import { db } from "~/db.server";
import { secretsKeyReady } from "~/publishing/secrets.server";
import { useDates } from "~/utils/dates";
import { fieldErrors } from "~/utils/errors.server";
import { parseForm } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";

export const meta: MetaFunction = () => [{ title: "Sécurité du compte · Relais" }];

async function current(request: Request) {
  const user = await requireUser(request);
  const session = await getSession(request);
  if (!("session" in session)) throw new Response("Not Found", { status: 404 });
  return { user, sessionId: session.session.id, twoFactor: session.twoFactor };
}

export async function loader({ request }: LoaderFunctionArgs) {
  const { user, sessionId, twoFactor } = await current(request);
  const status = await twoFactorStatus(db(), user);
  const sessions = await listSessions(db(), user.id, sessionId);
  return {
    enabled: status.enabled,
    required: twoFactor.missing,
    pending: status.pending && {
      secret: groupSecret(status.pending.secret),
      uri: status.pending.uri,
      qr: await qrSvg(status.pending.uri),
    },
    recoveryCodesLeft: status.recoveryCodesLeft,
    canEnrol: secretsKeyReady(),
    sessions: sessions.map((s) => ({ ...s, createdAt: s.createdAt.toISOString(), lastSeenAt: s.lastSeenAt.toISOString() })),
  };
}

const code = z.string("twoFactor.errors.code").trim().min(1, "twoFactor.errors.code").max(64, "twoFactor.errors.code");
const intents = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("start") }),
  z.object({ intent: z.literal("confirm"), code }),
  z.object({ intent: z.literal("cancel") }),
  z.object({ intent: z.literal("regenerate") }),
  z.object({ intent: z.literal("disable"), code }),
  z.object({ intent: z.literal("end-session"), handle: z.string("errors.400").regex(/^[0-9a-f]{64}$/, "errors.400") }),
  z.object({ intent: z.literal("end-others") }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const { user, sessionId, twoFactor } = await current(request);
  const parsed = parseForm(intents, await readForm(request));
  if (!parsed.ok) return fieldErrors(parsed.errors);
  const input = parsed.data;
  switch (input.intent) {
    case "end-session":
    case "end-others": {
      const ended = await endSessions(db(), user, sessionId, input.intent === "end-others" ? "others" : { handle: input.handle });
      return { ok: true as const, ended };
    }
    case "start": {
      await requireRecentAuth(request);
      if (!secretsKeyReady()) return fieldErrors({ form: "twoFactor.errors.noKey" }, 503);
      await startEnrolment(db(), user);
      return { ok: true as const };
    }
    case "confirm": {
      await requireRecentAuth(request);
      const codes = await confirmEnrolment(db(), user, input.code);
      if (!codes) return fieldErrors({ code: "twoFactor.errors.wrongCode" });
      return { ok: true as const, codes };
    }
    case "cancel": {
      // Nothing to protect yet (the secret is not in use): no password asked.
      await cancelEnrolment(db(), user);
      return { ok: true as const };
    }
    case "regenerate": {
      await requireRecentAuth(request);
      const codes = await regenerateRecoveryCodes(db(), user);
      if (!codes) return fieldErrors({ form: "twoFactor.errors.notEnabled" }, 409);
      return { ok: true as const, codes };
    }
    case "disable": {
      await requireRecentAuth(request);
      // The organisation's rule would send this account straight back to enrolment.
      if (twoFactor.required) return fieldErrors({ form: "twoFactor.errors.required" }, 403);
      if (!(await disableTwoFactor(db(), user, input.code))) return fieldErrors({ code: "twoFactor.errors.wrongCode" });
      return { ok: true as const, disabled: true };
    }
  }
}

type ActionData = { ok: true; codes?: string[]; ended?: number; disabled?: boolean } | { ok: false; errors: Record<string, string> };

export default function Security() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const errors = result && !result.ok ? result.errors : undefined;
  const codes = result && result.ok ? result.codes : undefined;
  const { t } = useTranslation();
  const dates = useDates();
  return (
    <div className="stack">
      <p>
        <Link to="/settings">{t("twoFactor.backToSettings")}</Link>
      </p>
      <h1>{t("twoFactor.pageTitle")}</h1>
      {page.required ? (
        <p className="alert" role="alert">
          {t("twoFactor.requiredNotice")}
        </p>
      ) : null}

      <section className="card stack" aria-labelledby="tf-title">
        <h2 id="tf-title">{t("twoFactor.title")}</h2>
        <p>{t("twoFactor.intro")}</p>
        <FormError errors={errors} />
        {codes ? <RecoveryCodes codes={codes} /> : null}
        {page.enabled ? (
          <>
            <p className="notice">{t("twoFactor.enabled", { count: page.recoveryCodesLeft })}</p>
            <Form method="post">
              <input type="hidden" name="intent" value="regenerate" />
              <SubmitButton confirm={t("twoFactor.regenerateConfirm")}>{t("twoFactor.regenerate")}</SubmitButton>
            </Form>
            <Form method="post" noValidate className="stack">
              <input type="hidden" name="intent" value="disable" />
              <Field name="code" id="disable-code" label={t("twoFactor.disableCode")} hint={t("twoFactor.codeHint")} autoComplete="one-time-code" errors={errors} />
              <SubmitButton>{t("twoFactor.disable")}</SubmitButton>
            </Form>
          </>
        ) : page.pending ? (
          <div className="stack">
            <ol>
              <li>{t("twoFactor.step1")}</li>
              <li>{t("twoFactor.step2")}</li>
            </ol>
            <figure className="qr">
              {/* Drawn on the server by the qrcode library from the otpauth URI: paths only, no script. */}
              <div role="img" aria-label={t("twoFactor.qrLabel")} data-otpauth-qr dangerouslySetInnerHTML={{ __html: page.pending.qr }} />
              <figcaption>
                {t("twoFactor.secretLabel")} <code data-secret>{page.pending.secret}</code>
              </figcaption>
            </figure>
            <Form method="post" noValidate className="stack">
              <input type="hidden" name="intent" value="confirm" />
              <Field
                name="code"
                label={t("twoFactor.firstCode")}
                hint={t("twoFactor.firstCodeHint")}
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                errors={errors}
              />
              <SubmitButton>{t("twoFactor.confirm")}</SubmitButton>
            </Form>
            <Form method="post">
              <input type="hidden" name="intent" value="cancel" />
              <button type="submit" className="secondary">
                {t("twoFactor.cancel")}
              </button>
            </Form>
          </div>
        ) : page.canEnrol ? (
          <Form method="post">
            <input type="hidden" name="intent" value="start" />
            <SubmitButton>{t("twoFactor.start")}</SubmitButton>
          </Form>
        ) : (
          <p className="alert">{t("twoFactor.errors.noKey")}</p>
        )}
      </section>

      <section className="card stack" aria-labelledby="sessions-title">
        <h2 id="sessions-title">{t("sessions.title")}</h2>
        <p>{t("sessions.intro")}</p>
        {result && result.ok && result.ended !== undefined ? (
          <p className="notice" role="status">
            {t("sessions.ended", { count: result.ended })}
          </p>
        ) : null}
        <ul className="sessions">
          {page.sessions.map((s) => {
            const device = s.browser || s.platform ? t("sessions.device", { browser: s.browser ?? t("sessions.unknownBrowser"), platform: s.platform ?? t("sessions.unknownPlatform") }) : t("sessions.unknownDevice");
            return (
              <li key={s.handle}>
                <strong>{device}</strong>
                {s.current ? <em> {t("sessions.current")}</em> : null}
                <br />
                <span className="muted">{t("sessions.times", { lastSeen: dates.dateTime(s.lastSeenAt), created: dates.dateTime(s.createdAt) })}</span>
                {s.current ? null : (
                  <Form method="post">
                    <input type="hidden" name="intent" value="end-session" />
                    <input type="hidden" name="handle" value={s.handle} />
                    <button type="submit" aria-label={t("sessions.endOneLabel", { device })}>
                      {t("sessions.endOne")}
                    </button>
                  </Form>
                )}
              </li>
            );
          })}
        </ul>
        {page.sessions.length > 1 ? (
          <Form method="post">
            <input type="hidden" name="intent" value="end-others" />
            <SubmitButton>{t("sessions.endOthers")}</SubmitButton>
          </Form>
        ) : null}
      </section>
    </div>
  );
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  const { t } = useTranslation();
  return (
    <div className="notice stack" role="status">
      <p>
        <strong>{t("twoFactor.codesTitle")}</strong> {t("twoFactor.codesIntro")}
      </p>
      <ul className="recovery-codes" data-recovery-codes>
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}
