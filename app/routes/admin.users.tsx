import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { ROLES, type Role } from "../../db/schema";
import { Field, FieldError, FormError, SubmitButton, useMsg } from "~/components/forms";
import { requireRecentAuth, requireRole } from "~/auth/guards.server";
import { createInvitation } from "~/auth/invitations.server";
import { resetTwoFactor } from "~/auth/two-factor.server";
import { db } from "~/db.server";
import { departmentChoices } from "~/organisation/departments.server";
import { createUser, listUsers, setActive, updateUser, userFieldsSchema } from "~/organisation/users.server";
import { requestExport } from "~/privacy/export.server";
import { attempt, fieldErrors } from "~/utils/errors.server";
import { parseForm, withoutNul, type FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";

export const meta: MetaFunction = () => [{ title: "Personnes · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const admin = await requireRole(request, "admin");
  const url = new URL(request.url);
  const q = withoutNul(url.searchParams.get("q") ?? "").slice(0, 200);
  const [users, departments] = await Promise.all([listUsers(db(), { q }), departmentChoices(db())]);
  // Set by the closure page's redirect: "<contributions>-<photos>" deleted.
  const closed = /^(\d{1,9})-(\d{1,9})$/.exec(url.searchParams.get("closed") ?? "");
  return { users, departments, q, me: admin.id, closed: closed ? { count: Number(closed[1]), photos: Number(closed[2]) } : null };
}

const departmentField = z.preprocess((v) => (v === "" || v === undefined ? null : v), z.coerce.number().int().positive().nullable());
const roleField = z.enum(ROLES as [Role, ...Role[]], "admin.users.roleInvalid");

const intents = z.discriminatedUnion("intent", [
  userFieldsSchema.extend({ intent: z.literal("invite"), departmentId: departmentField }),
  z.object({ intent: z.literal("update"), userId: z.string().min(1), role: roleField, departmentId: departmentField }),
  z.object({ intent: z.enum(["deactivate", "reactivate", "reinvite", "export", "reset_two_factor"]), userId: z.string().min(1) }),
]);

export async function action({ request, context }: ActionFunctionArgs) {
  const admin = await requireRole(request, "admin");
  const parsed = parseForm(intents, await readForm(request));
  if (!parsed.ok) return fieldErrors(parsed.errors);
  const input = parsed.data;
  switch (input.intent) {
    case "invite": {
      const result = await attempt(async () => {
        return db().transaction().execute(async (trx) => {
          const id = await createUser(trx, admin, input);
          return { email: input.email, link: await createInvitation(trx, admin, id) };
        });
      });
      if (!("value" in result)) return result;
      return { ok: true as const, invited: result.value };
    }
    case "update": {
      const result = await attempt(() => updateUser(db(), admin, input.userId, input));
      if (!("value" in result)) return result;
      return { ok: true as const, message: "admin.users.updated" };
    }
    case "deactivate":
    case "reactivate": {
      const result = await attempt(() => setActive(db(), admin, input.userId, input.intent === "reactivate"));
      if (!("value" in result)) return result;
      return { ok: true as const, message: input.intent === "reactivate" ? "admin.users.reactivated" : "admin.users.deactivated" };
    }
    case "export": {
      // A data-access request: the archive is the admin's to download, on the export page.
      await requireRecentAuth(request);
      await requestExport(db(), admin, input.userId, { ip: context.clientIp });
      return redirect("/account/export");
    }
    case "reset_two_factor": {
      await requireRecentAuth(request);
      if (!(await resetTwoFactor(db(), admin, input.userId))) throw new Response("Not Found", { status: 404 });
      return { ok: true as const, message: "twoFactor.admin.done" };
    }
    case "reinvite": {
      const user = await db().selectFrom("app_user").select("email").where("id", "=", input.userId).executeTakeFirst();
      if (!user) throw new Response("Not Found", { status: 404 });
      return { ok: true as const, invited: { email: user.email, link: await createInvitation(db(), admin, input.userId) } };
    }
  }
}

export default function AdminUsers() {
  const { users, departments, q, me, closed } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const msg = useMsg();
  const errors: FieldErrors | undefined = result && !result.ok ? result.errors : undefined;
  return (
    <div className="stack">
      <h1>{t("admin.users.title")}</h1>
      {result?.ok && "invited" in result && result.invited ? (
        <div className="notice" role="status">
          <p>{t("admin.users.invited", { email: result.invited.email })}</p>
          <p>
            <a href={result.invited.link}>{result.invited.link}</a>
          </p>
        </div>
      ) : null}
      {result?.ok && "message" in result && result.message ? (
        <p className="notice" role="status">
          {msg(result.message)}
        </p>
      ) : null}
      {closed ? (
        <p className="notice" role="status">
          {t("closure.closed", closed)}
        </p>
      ) : null}
      <FormError errors={errors} />

      <section className="card" aria-labelledby="invite-title">
        <h2 id="invite-title">{t("admin.users.invite")}</h2>
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="invite" />
          <Field name="email" type="email" label={t("admin.users.email")} required errors={errors} autoComplete="off" />
          <Field name="displayName" type="text" label={t("admin.users.name")} required errors={errors} maxLength={120} />
          <RoleSelect id="invite-role" errors={errors} />
          <DepartmentSelect id="invite-department" departments={departments} errors={errors} />
          <div className="field">
            <label htmlFor="invite-locale">{t("nav.language")}</label>
            <select id="invite-locale" name="locale" defaultValue="fr">
              <option value="fr">Français</option>
              <option value="en">English</option>
            </select>
          </div>
          <SubmitButton>{t("admin.users.invite")}</SubmitButton>
        </Form>
      </section>

      <Form method="get" role="search" className="row">
        <div className="grow">
          <label htmlFor="user-search">{t("admin.users.search")}</label>
          <input id="user-search" type="search" name="q" defaultValue={q} placeholder={t("admin.users.searchPlaceholder")} />
        </div>
        <button type="submit" className="secondary">
          {t("common.search")}
        </button>
      </Form>

      {users.length === 0 ? (
        <p>{t("admin.users.empty")}</p>
      ) : (
        <div className="table-wrap">
          <table className="responsive">
            <thead>
              <tr>
                <th scope="col">{t("admin.users.name")}</th>
                <th scope="col">{t("admin.users.role")}</th>
                <th scope="col">{t("admin.users.status")}</th>
                <th scope="col">{t("common.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td data-label={t("admin.users.name")}>
                    <strong>{u.display_name}</strong>
                    <br />
                    <span className="muted">{u.email}</span>
                  </td>
                  <td data-label={t("admin.users.role")}>
                    <Form method="post" className="row" aria-label={`${t("admin.users.update")} : ${u.display_name}`}>
                      <input type="hidden" name="intent" value="update" />
                      <input type="hidden" name="userId" value={u.id} />
                      <RoleSelect id={`role-${u.id}`} defaultValue={u.role} />
                      <DepartmentSelect id={`dept-${u.id}`} departments={departments} defaultValue={u.department_id} />
                      <button type="submit" className="secondary">
                        {t("admin.users.update")}
                      </button>
                    </Form>
                  </td>
                  <td data-label={t("admin.users.status")}>
                    {u.closed ? t("closure.closedLabel") : !u.active ? t("admin.users.inactive") : u.pending ? t("admin.users.pending") : t("admin.users.active")}
                  </td>
                  <td data-label={t("common.actions")}>
                    <Form method="post">
                      <input type="hidden" name="userId" value={u.id} />
                      {u.closed ? null : (
                        <button type="submit" name="intent" value={u.active ? "deactivate" : "reactivate"} className="secondary">
                          {u.active ? t("admin.users.deactivate") : t("admin.users.reactivate")}
                          <span className="visually-hidden"> {u.display_name}</span>
                        </button>
                      )}
                      {u.pending ? (
                        <button type="submit" name="intent" value="reinvite" className="link-button">
                          {t("admin.users.reinvite")}
                        </button>
                      ) : null}
                      {u.two_factor ? (
                        <SubmitButton name="intent" value="reset_two_factor" className="link-button" confirm={t("twoFactor.admin.resetConfirm")}>
                          {t("twoFactor.admin.reset")}
                          <span className="visually-hidden"> : {u.display_name}</span>
                        </SubmitButton>
                      ) : null}
                      {u.closed ? null : (
                        <button type="submit" name="intent" value="export" className="link-button">
                          {t("dataExport.adminRequest")}
                          <span className="visually-hidden"> : {u.display_name}</span>
                        </button>
                      )}
                    </Form>
                    {u.closed || u.id === me ? null : (
                      <Link to={`/admin/users/${encodeURIComponent(u.id)}/close`} className="link-action">
                        {t("closure.action")}
                        <span className="visually-hidden"> : {u.display_name}</span>
                      </Link>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function RoleSelect({ id, defaultValue, errors }: { id: string; defaultValue?: Role; errors?: FieldErrors }) {
  const { t } = useTranslation();
  const msg = useMsg();
  const error = msg(errors?.role);
  return (
    <div className="field">
      <label htmlFor={id}>{t("admin.users.role")}</label>
      <select
        id={id}
        name="role"
        defaultValue={defaultValue ?? "agent"}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        {ROLES.map((role) => (
          <option key={role} value={role}>
            {t(`roles.${role}`)}
          </option>
        ))}
      </select>
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

function DepartmentSelect({
  id,
  departments,
  defaultValue,
  errors,
}: {
  id: string;
  departments: { id: number; name: string }[];
  defaultValue?: number | null;
  errors?: FieldErrors;
}) {
  const { t } = useTranslation();
  const msg = useMsg();
  const error = msg(errors?.departmentId);
  return (
    <div className="field">
      <label htmlFor={id}>{t("admin.users.department")}</label>
      <select
        id={id}
        name="departmentId"
        defaultValue={defaultValue ?? ""}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        <option value="">{t("common.noDepartment")}</option>
        {departments.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
      </select>
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
