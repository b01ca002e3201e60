import type { Tasks } from "~/jobs/queue.server";
import { sendMail, type Mail } from "./mailer.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      /** One mail, sent (and retried) outside the request that asked for it. */
      send_email: Mail;
    }
  }
}

export const mailTasks: Tasks<"send_email"> = {
  send_email: (mail) => sendMail(mail),
};
