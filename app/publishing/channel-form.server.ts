import type { ChannelInput } from "./channels.server";
import { DEFAULT_SLOTS } from "./slots";

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value.replace(/\0/g, "") : "";
};
const optional = (form: FormData, name: string) => text(form, name).trim() || undefined;

/**
 * The channel form as channels.server.ts reads it. Nothing is checked here: createChannel and
 * updateChannel refuse each bad field by name. Slots are the chosen weekdays × the local times
 * typed ("18:30, 20:00"), which is how comms think of them.
 */
export function channelInputFromForm(form: FormData, kind?: string): ChannelInput {
  const limit = text(form, "characterLimit").trim();
  const weekdays = form.getAll("weekday").map((w) => Number(w));
  const times = text(form, "times")
    .split(/[,;\s]+/)
    .map((t) => t.trim())
    .filter(Boolean);
  const slots = weekdays.flatMap((weekday) => times.map((time) => ({ weekday, time })));
  const common = {
    name: text(form, "name"),
    slug: text(form, "slug"),
    // Not a number: 0, which the limit's own message refuses (zod would only say "invalid").
    characterLimit: limit ? (Number.isFinite(Number(limit)) ? Number(limit) : 0) : undefined,
    imageAspect: optional(form, "imageAspect"),
    // No weekday or no time: an empty list would never post, so that is refused rather than kept.
    slots: weekdays.length || times.length ? (slots.length ? slots : [{ weekday: 0, time: "" }]) : [...DEFAULT_SLOTS],
  };
  const k = kind ?? text(form, "kind");
  return {
    kind: k,
    ...common,
    instanceUrl: text(form, "instanceUrl"),
    accessToken: text(form, "accessToken"),
    service: optional(form, "service"),
    identifier: text(form, "identifier"),
    appPassword: text(form, "appPassword"),
    url: text(form, "url"),
    headerName: optional(form, "headerName"),
    headerValue: optional(form, "headerValue"),
    description: optional(form, "description"),
  } as ChannelInput;
}

/**
 * Whether a channel form sets a secret (a token, an app password, a webhook header's value, a new
 * signing secret): such a save asks for the password again when it was checked over 15 minutes ago.
 */
export function setsSecret(form: FormData): boolean {
  return ["accessToken", "appPassword", "headerValue"].some((f) => text(form, f).trim() !== "") || form.get("newWebhookSecret") === "1";
}
