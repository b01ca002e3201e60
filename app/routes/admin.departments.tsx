import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { Field, FormError, useMsg } from "~/components/forms";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { createDepartment, deleteDepartment, listDepartments, renameDepartment } from "~/organisation/departments.server";
import { attempt, fieldErrors } from "~/utils/errors.server";
import { parseForm, type FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";

export const meta: MetaFunction = () => [{ title: "Services · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  return { departments: await listDepartments(db()) };
}

const name = z.string("admin.departments.nameRequired");
const intents = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("create"), name }),
  z.object({ intent: z.literal("rename"), id: z.coerce.number().int().positive(), name }),
  z.object({ intent: z.literal("delete"), id: z.coerce.number().int().positive() }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const admin = await requireRole(request, "admin");
  const parsed = parseForm(intents, await readForm(request));
  if (!parsed.ok) return fieldErrors(parsed.errors);
  const input = parsed.data;
  const result = await attempt(async () => {
    if (input.intent === "create") await createDepartment(db(), admin, input.name);
    else if (input.intent === "rename") await renameDepartment(db(), admin, input.id, input.name);
    else await deleteDepartment(db(), admin, input.id);
    return `admin.departments.${input.intent === "create" ? "created" : input.intent === "rename" ? "renamed" : "deleted"}`;
  });
  if (!("value" in result)) return result;
  return { ok: true as const, message: result.value };
}

export default function AdminDepartments() {
  const { departments } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const msg = useMsg();
  const errors: FieldErrors | undefined = result && !result.ok ? result.errors : undefined;
  return (
    <div className="stack">
      <h1>{t("admin.departments.title")}</h1>
      {result?.ok ? (
        <p className="notice" role="status">
          {msg(result.message)}
        </p>
      ) : null}
      <FormError errors={errors} />
      <section className="card">
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="create" />
          <Field name="name" id="new-department" type="text" label={t("admin.departments.name")} required maxLength={120} errors={errors} />
          <button type="submit">{t("admin.departments.create")}</button>
        </Form>
      </section>
      {departments.length === 0 ? <p>{t("admin.departments.empty")}</p> : null}
      <ul className="stack plain-list">
        {departments.map((d) => (
          <li key={d.id} className="card">
            <Form method="post" className="row">
              <input type="hidden" name="id" value={d.id} />
              <div className="grow">
                <label htmlFor={`dept-${d.id}`}>{t("admin.departments.name")}</label>
                <input id={`dept-${d.id}`} type="text" name="name" defaultValue={d.name} maxLength={120} required />
                <p className="hint">{t("admin.departments.members", { count: d.members ?? 0 })}</p>
              </div>
              <button type="submit" name="intent" value="rename" className="secondary">
                {t("admin.departments.rename")}
                <span className="visually-hidden"> {d.name}</span>
              </button>
              <button type="submit" name="intent" value="delete" className="danger" disabled={(d.members ?? 0) > 0}>
                {t("common.delete")}
                <span className="visually-hidden"> {d.name}</span>
              </button>
            </Form>
          </li>
        ))}
      </ul>
    </div>
  );
}
