import type { ReactElement } from "react";
import { renderToPipeableStream } from "react-dom/server";
import { I18nextProvider } from "react-i18next";
import { describe, expect, it } from "vitest";
import { KeptMarkup, MarkupKeeperContext } from "~/components/kept-markup";
import { CalendarDays, QueueRows, type QueueOverflow, type QueueRowItem } from "~/components/publishing-queue";
import { serverI18n } from "~/i18n/i18n";
import { markupKeeper } from "~/server/kept-markup.server";
import { pack } from "~/utils/packed";
import { streamedHtml } from "../../streamed-html";

// The publishing queue's rows and calendar days are kept as markup between requests (KeptMarkup):
// what the server sends must be byte for byte what React renders without keeping them (the browser
// hydrates them as its own), and any change of a row must show at once.

const items: QueueRowItem[] = [
  { id: 7, state: "failed", scheduledAt: new Date("2026-03-29T00:30:00Z"), lastError: "HTTP 503 <service>", heldReason: null, remoteUrl: null, contribution: { id: 3, title: "Fête « de l'été » & bal" }, channel: { id: 1, name: "Mastodon" }, day: "2026-03-29" },
  { id: 8, state: "scheduled", scheduledAt: "2026-03-29T09:15:00.000Z", lastError: null, heldReason: null, remoteUrl: null, contribution: { id: 4, title: "Atelier vélo" }, channel: { id: 2, name: "Site web" }, day: "2026-03-29" },
  { id: 9, state: "held", scheduledAt: new Date("2026-03-30T08:00:00Z"), lastError: null, heldReason: "Droit à l'image retiré", remoteUrl: null, contribution: { id: 5, title: "Chorale" }, channel: { id: 1, name: "Mastodon" }, day: "2026-03-30" },
  { id: 10, state: "published", scheduledAt: new Date("2026-03-30T10:00:00Z"), lastError: null, heldReason: null, remoteUrl: "https://mastodon.example/@relais/1", contribution: { id: 6, title: "Marché" }, channel: { id: 1, name: "Mastodon" }, day: "2026-03-30" },
];
const overflow: QueueOverflow[] = [{ day: "2026-03-30", channel: { id: 1, name: "Mastodon" }, count: 12 }];
const days = ["2026-03-29", "2026-03-30", "2026-03-31"];
const timeZone = "Europe/Paris";

/** Rendered as entry.server.tsx renders a page: streamed, with or without a keeper. */
async function streamed(element: ReactElement, keep: boolean, language: "fr" | "en" = "fr"): Promise<string> {
  const i18n = serverI18n(language);
  const { html } = await streamedHtml(
    renderToPipeableStream,
    <I18nextProvider i18n={i18n}>
      <MarkupKeeperContext.Provider value={keep ? markupKeeper(i18n) : null}>
        <main>{element}</main>
      </MarkupKeeperContext.Provider>
    </I18nextProvider>,
  );
  return html;
}

const table = (rows: QueueRowItem[]) => (
  <table>
    <KeptMarkup as="tbody" depends={[pack(rows), timeZone]}>
      <QueueRows items={pack(rows)} timeZone={timeZone} />
    </KeptMarkup>
  </table>
);
const calendar = (rows: QueueRowItem[]) => (
  <KeptMarkup as="ol" className="calendar calendar-week" aria-label="Semaine" depends={[days, pack(rows), pack(overflow), timeZone]}>
    <CalendarDays days={days} items={pack(rows)} overflow={pack(overflow)} timeZone={timeZone} />
  </KeptMarkup>
);

describe("the queue's kept rows and days", () => {
  it("are the markup React renders without keeping them, in both languages, kept or not yet", async () => {
    for (const language of ["fr", "en"] as const) {
      for (const part of [table, calendar]) {
        const plain = await streamed(part(items), false, language);
        expect(await streamed(part(items), true, language)).toBe(plain);
        expect(await streamed(part(items), true, language)).toBe(plain);
      }
    }
    const rows = await streamed(table(items), true);
    // A row's buttons send its id under their intent, to the form around the table, and are named
    // by their text, the row's title and its channel; the title opens the publication.
    expect(rows).not.toContain("<form");
    expect(rows).toContain('<button type="submit" name="retry" value="7" id="q7r" aria-labelledby="q7r q7 q7c">Réessayer</button>');
    expect(rows).toMatch(/<button type="submit" name="cancel" value="7" id="q7x" aria-labelledby="q7x q7 q7c" class="secondary" data-confirm="Annuler cette publication \?">Annuler la publication<\/button>/);
    expect(rows).toContain('<td id="q7c">Mastodon</td><td><a id="q7" href="/publishing/7">Fête « de l&#x27;été » &amp; bal</a></td>');
    // A published row can no longer be cancelled.
    expect(rows).not.toContain('name="cancel" value="10"');
    expect(rows).toContain("HTTP 503 &lt;service&gt;");
    expect(rows).toContain("29 mars 2026, 01:30"); // Paris, before the clock change
    const month = await streamed(calendar(items), true);
    expect(month).toMatch(/<ol data-kept="[^"]+" class="calendar calendar-week" aria-label="Semaine">/);
    expect(month).toContain('href="/publishing?view=list&amp;day=2026-03-30&amp;channel=1"');
  });

  it("show a change of any row at once", async () => {
    const before = await streamed(table(items), true);
    const renamed = items.map((i) => (i.id === 8 ? { ...i, contribution: { ...i.contribution, title: "Atelier vélo (reporté)" } } : i));
    const after = await streamed(table(renamed), true);
    expect(after).not.toBe(before);
    expect(after).toBe(await streamed(table(renamed), false));
    expect(after).toContain("Atelier vélo (reporté)");
  });
});
