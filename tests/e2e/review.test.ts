import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { editorReady, launch, newContext, signInAs, writeDraft, type Browser, type Page } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

// ---- A real SMTP server on the port the app sends to ----

interface Received {
  from: string;
  to: string[];
  subject: string;
  text: string;
  raw: string;
}

const inbox: Received[] = [];
let smtp: SMTPServer | undefined;

/** Bytes of quoted-printable text (also the Q encoding of headers, once "_" is a space). */
function qpBytes(text: string): Buffer {
  const s = text.replace(/=\r?\n/g, "");
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s.slice(i + 1, i + 3);
    if (s[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

/** Decodes RFC 2047 encoded words; adjacent ones are joined (a character may straddle two). */
function decodeHeader(value: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  return value.replace(/=\?[^?]+\?[BbQq]\?[^?]*\?=(?:\s+=\?[^?]+\?[BbQq]\?[^?]*\?=)*/g, (run) =>
    Buffer.concat(
      [...run.matchAll(word)].map(([, , enc, text]) => (enc.toUpperCase() === "B" ? Buffer.from(text, "base64") : qpBytes(text.replace(/_/g, " ")))),
    ).toString("utf8"),
  );
}

/** A minimal reading of a single-part text message: headers and decoded body. */
function parseMessage(raw: string): { subject: string; from: string; text: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, " ");
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, "");
  const header = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(head)?.[1].trim() ?? "";
  const encoding = header("Content-Transfer-Encoding").toLowerCase();
  const bytes = encoding === "quoted-printable" ? qpBytes(body) : encoding === "base64" ? Buffer.from(body, "base64") : Buffer.from(body, "latin1");
  return { subject: decodeHeader(header("Subject")), from: decodeHeader(header("From")), text: bytes.toString("utf8").replace(/\r\n/g, "\n") };
}

/** Polls the inbox (the app sends through its job queue, with retries) for a matching mail. */
async function waitForMail(match: (m: Received) => boolean, timeoutMs = 45_000): Promise<Received> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = inbox.find(match);
    if (found) return found;
    if (Date.now() > end) {
      throw new Error(`No matching mail within ${timeoutMs} ms. Received:\n${inbox.map((m) => `${m.to.join(",")} | ${m.subject}`).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---- Browser helpers ----

async function unreadCount(page: Page): Promise<number> {
  const label = await page.locator("header a.bell").getAttribute("aria-label");
  const m = /^(\d+) notifications? non lues?$/.exec(label ?? "");
  return m ? Number(m[1]) : 0;
}

describe.skipIf(inject("e2eSkip"))("review in a real browser, with real mail", () => {
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks).toString("latin1");
          inbox.push({
            ...parseMessage(raw),
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            raw,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      smtp!.once("error", reject);
      smtp!.listen(inject("e2eSmtpPort"), "127.0.0.1", () => resolve());
    });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  it("changes requested, resubmitted, approved for the organisation: the agent is told in the app and by e-mail", { timeout: 180_000 }, async () => {
    const title = `Exposition de printemps ${Date.now()}`;
    const comment = "Pouvez-vous préciser les horaires d'ouverture ?";

    // 1. The agent writes and submits.
    const agentSession = await newContext(browser, baseUrl);
    const agent = await agentSession.context.newPage();
    await signInAs(agentSession.context, "agent@demo.relais");
    const id = await writeDraft(agent, { title, text: "Les œuvres des ateliers seront exposées tout le mois." });
    await agent.getByRole("button", { name: "Envoyer en relecture" }).click();
    await agent.waitForURL(`**/contributions/${id}?done=submitted`);

    // The communication team is told by e-mail.
    const toComms = await waitForMail((m) => m.to.includes("comms@demo.relais") && m.subject.includes(title));
    expect(toComms.subject).toBe(`Relais : Nouvelle contribution à relire : « ${title} » (Camille Martin).`);
    expect(toComms.from).toContain("relais@e2e.test");
    expect(toComms.text).toContain(`${baseUrl}/contributions/${id}`);

    // Someone of another department does not see it yet.
    const otherSession = await newContext(browser, baseUrl);
    const other = await otherSession.context.newPage();
    await signInAs(otherSession.context, "agent.sports@demo.relais");
    expect((await other.goto(`/contributions/${id}`))?.status()).toBe(404);

    // 2. Comms finds it in the inbox and asks for changes.
    const commsSession = await newContext(browser, baseUrl);
    const comms = await commsSession.context.newPage();
    await signInAs(commsSession.context, "comms@demo.relais");
    await comms.goto("/");
    await expect.poll(() => unreadCount(comms)).toBeGreaterThan(0);
    await comms.getByRole("navigation", { name: "Navigation principale" }).getByRole("link", { name: "À relire" }).click();
    await comms.waitForURL("**/review");
    await comms.getByRole("link", { name: title, exact: true }).click();
    await comms.waitForURL(`**/review/${id}`);
    await editorReady(comms);
    await comms.getByLabel("Ce qu'il faut modifier").fill(comment);
    await comms.getByRole("button", { name: "Demander des modifications" }).click();
    await comms.waitForURL(`**/review/${id}?done=changes_requested`);
    await comms.getByRole("status").getByText("Modifications demandées à l'auteur.").waitFor();

    // 3. The agent sees the request: bell, "my contributions", history.
    await agent.goto("/my");
    expect(await unreadCount(agent)).toBeGreaterThan(0);
    const card = agent.locator(".feed-card", { has: agent.getByRole("link", { name: title, exact: true }) });
    await expect(card.locator(".status").innerText()).resolves.toBe("Modifications demandées");
    await expect(card.locator(".reason").innerText()).resolves.toBe(`Modifications demandées : « ${comment} »`);
    await agent.goto(`/contributions/${id}`);
    const history = agent.getByRole("region", { name: "Historique" });
    await expect(history.innerText()).resolves.toContain("Léa Dubois a demandé des modifications");
    await expect(history.innerText()).resolves.toContain(`« ${comment} »`);
    await agent.goto("/notifications");
    await expect(agent.locator("main").innerText()).resolves.toContain(`Des modifications sont demandées pour « ${title} ».`);
    const changesMail = await waitForMail((m) => m.to.includes("agent@demo.relais") && m.subject.includes(title) && m.subject.includes("modifications"));
    expect(changesMail.text).toContain(comment);

    // 4. The agent changes the text and sends it again.
    await agent.goto(`/contributions/${id}/edit`);
    const editor = await editorReady(agent);
    await editor.click();
    await agent.keyboard.press("Control+End");
    await agent.keyboard.press("Enter");
    await agent.keyboard.type("Ouverture du mardi au samedi, de 10 h à 18 h.");
    await agent.getByRole("button", { name: "Renvoyer en relecture" }).click();
    await agent.waitForURL(`**/contributions/${id}?done=submitted`);
    await agent.getByRole("status").getByText("Contribution envoyée à l'équipe communication.").waitFor();
    await expect(agent.locator("article .prose").innerText()).resolves.toContain("de 10 h à 18 h");

    // 5. Comms approves it for the whole organisation.
    await comms.goto(`/review/${id}`);
    await editorReady(comms);
    await expect(comms.locator(".prose").first().innerText()).resolves.toContain("de 10 h à 18 h");
    await comms.getByRole("radio", { name: "Visible par toute l'organisation" }).check();
    await expect(comms.getByRole("checkbox", { name: "Éligible à la publication externe" }).isChecked()).resolves.toBe(false);
    await comms.getByRole("button", { name: "Approuver", exact: true }).click();
    await comms.waitForURL(`**/review/${id}?done=approved`);
    await comms.getByRole("status").getByText("Contribution approuvée.").waitFor();

    // 6. The agent sees the decision and its history, and the notification.
    await agent.goto(`/contributions/${id}`);
    await expect(agent.locator("article header .status").innerText()).resolves.toBe("Approuvée");
    await expect(agent.locator("article header").innerText()).resolves.toContain("Visible par toute l'organisation");
    const events = await agent.getByRole("region", { name: "Historique" }).locator("li strong").allInnerTexts();
    expect(events).toEqual([
      "Camille Martin a créé le brouillon",
      "Camille Martin a envoyé en relecture",
      "Léa Dubois a demandé des modifications",
      "Camille Martin a envoyé en relecture",
      "Léa Dubois a approuvé",
    ]);
    expect(await unreadCount(agent)).toBeGreaterThan(0);
    await agent.getByRole("link", { name: /notifications? non lues?$/ }).click();
    await agent.waitForURL("**/notifications");
    const approvedNote = agent.locator(".card", { hasText: `Votre contribution « ${title} » a été approuvée.` });
    await approvedNote.waitFor();
    await expect(approvedNote.count()).resolves.toBe(1);
    await expect(approvedNote.getByText("Non lue").isVisible()).resolves.toBe(true);
    // Through /notifications/:id, which marks it read and leads to the contribution (tests/e2e/notifications.test.ts).
    await expect(approvedNote.getByRole("link").getAttribute("href")).resolves.toMatch(/^\/notifications\/\d+$/);

    // And the mail arrives.
    const approvedMail = await waitForMail((m) => m.to.includes("agent@demo.relais") && m.subject.includes(title) && m.subject.includes("approuvée"));
    expect(approvedMail.subject).toMatch(/^Relais :/);
    expect(approvedMail.subject).toBe(`Relais : Votre contribution « ${title} » a été approuvée.`);
    expect(approvedMail.text).toContain(`Votre contribution « ${title} » a été approuvée.`);
    expect(approvedMail.text).toContain(`${baseUrl}/contributions/${id}`);
    expect(approvedMail.text).toContain(`${baseUrl}/settings`);

    // Approved for the organisation: another department sees it now.
    expect((await other.goto(`/contributions/${id}`))?.status()).toBe(200);
    await expect(other.getByRole("heading", { level: 1 }).innerText()).resolves.toBe(title);
    // The decision history is for the author and the communication team only.
    await expect(other.getByRole("region", { name: "Historique" }).count()).resolves.toBe(0);

    expect([...agentSession.foreign, ...commsSession.foreign, ...otherSession.foreign]).toEqual([]);
    await Promise.all([agentSession.context.close(), commsSession.context.close(), otherSession.context.close()]);
  });

  it("shows the 403 page to an agent who opens the review inbox, and keeps the review link out of their navigation", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");
    await page.goto("/");
    await expect(page.getByRole("navigation", { name: "Navigation principale" }).getByRole("link", { name: "À relire" }).count()).resolves.toBe(0);
    const inboxResponse = await page.goto("/review");
    expect(inboxResponse?.status()).toBe(403);
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toContain("403");
    await expect(page.locator("main").innerText()).resolves.toContain("Vous n'avez pas accès à cette page.");
    const one = await page.goto("/review/1");
    expect(one?.status()).toBe(403);
    await context.close();
  });
});
