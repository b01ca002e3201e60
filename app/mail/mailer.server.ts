import nodemailer, { type Transporter } from "nodemailer";
import { env } from "~/env.server";

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

let transport: Transporter | undefined;

function transporter(): Transporter {
  if (!transport) {
    const e = env();
    transport = e.SMTP_HOST
      ? nodemailer.createTransport({
          // Reuse connections: a digest morning sends many mails in a row.
          pool: true,
          maxConnections: 2,
          host: e.SMTP_HOST,
          port: e.SMTP_PORT ?? 587,
          secure: e.SMTP_SECURE === "true",
          auth: e.SMTP_USER ? { user: e.SMTP_USER, pass: e.SMTP_PASSWORD ?? "" } : undefined,
          // A local test server has no certificate worth checking; a real one is checked.
          tls: e.SMTP_HOST === "127.0.0.1" || e.SMTP_HOST === "localhost" ? { rejectUnauthorized: false } : undefined,
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 20_000,
        })
      : // No SMTP configured (the demo): mails are rendered and dropped, never sent anywhere.
        nodemailer.createTransport({ jsonTransport: true });
  }
  return transport;
}

/** Sends one mail now; throws when the server refuses, so the job queue retries it. */
export async function sendMail(mail: Mail): Promise<void> {
  await transporter().sendMail({ from: env().MAIL_FROM, to: mail.to, subject: mail.subject, text: mail.text });
}
