import { Transform } from "node:stream";
import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { I18nextProvider } from "react-i18next";
import { MarkupKeeperContext } from "./components/kept-markup";
import { DEFAULT_LOCALE, isLocale, serverI18n } from "./i18n/i18n";
import { markupKeeper } from "./server/kept-markup.server";
import { NonceProvider } from "./utils/nonce";

const ABORT_DELAY = 5_000;
export const streamTimeout = ABORT_DELAY;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = (loadContext as { cspNonce?: string }).cspNonce ?? "";
  const rootData = remixContext.staticHandlerContext.loaderData?.root as { locale?: string } | undefined;
  const locale = isLocale(rootData?.locale) ? rootData.locale : DEFAULT_LOCALE;
  const i18n = serverI18n(locale);
  // Crawlers get the whole page at once; people get the shell as soon as it is ready.
  const waitForAll = isbot(request.headers.get("user-agent") ?? "");

  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const respond = () => {
      shellRendered = true;
      const body = coalescing();
      responseHeaders.set("Content-Type", "text/html; charset=utf-8");
      resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }));
      pipe(body);
    };
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <I18nextProvider i18n={i18n}>
          <MarkupKeeperContext.Provider value={markupKeeper(i18n)}>
            <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
          </MarkupKeeperContext.Provider>
        </I18nextProvider>
      </NonceProvider>,
      {
        nonce,
        onShellReady() {
          if (!waitForAll) respond();
        },
        onAllReady() {
          clearTimeout(timer);
          if (waitForAll) respond();
        },
        onShellError(error: unknown) {
          clearTimeout(timer);
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Logged on the server only; the page shows the friendly error boundary.
          if (shellRendered) console.error(error);
        },
      },
    );
    // Cleared once everything is rendered: a pending timer kept the whole render (its state, the
    // page's data) alive for 5 s after each answer, ~500 of them at 100 requests/s.
    // (React calls back from a later turn of the event loop, as it does with pipe above.)
    const timer = setTimeout(abort, ABORT_DELAY);
  });
}

/**
 * What React writes in one go (a few dozen chunks of about 2 KB for a feed) passed on as one chunk:
 * Remix writes each chunk to the socket on its own, and those writes cost more CPU than the
 * rendering (docs/decisions/0011-speed-through-http.md). Whatever comes later (streamed data) goes
 * out on the next turn of the event loop, so streaming still streams.
 */
function coalescing(): Transform {
  let pending: Buffer[] = [];
  let scheduled = false;
  const pass = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const chunk = pending.length === 1 ? pending[0] : Buffer.concat(pending);
    pending = [];
    stream.push(chunk);
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending.push(chunk);
      if (!scheduled) {
        scheduled = true;
        setImmediate(pass);
      }
      done();
    },
    flush(done) {
      pass();
      done();
    },
  });
  // React ends its destination a second time when it closes (its 'close' listener aborts, and abort
  // ends again); on a finished stream Node answers that with an error object and its stack trace,
  // ~1 % of a page's CPU. Once is enough.
  const end = stream.end.bind(stream);
  stream.end = ((...args: Parameters<typeof end>) => (stream.writableEnded ? stream : end(...args))) as typeof stream.end;
  return stream;
}

/** Unexpected errors are logged on the server, never shown: the error boundary renders instead. */
export function handleError(error: unknown, { request }: { request: Request }) {
  if (request.signal.aborted) return;
  if (error instanceof Response) return;
  console.error(error);
}
