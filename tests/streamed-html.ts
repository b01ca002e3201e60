import { Writable } from "node:stream";
import type { ReactElement } from "react";
import type { renderToPipeableStream } from "react-dom/server";

/**
 * `element` rendered as entry.server.tsx renders a page (React's Node stream, piped once the shell
 * is ready), by the given build of react-dom/server: the HTML, and how many writes carried it.
 */
export function streamedHtml(render: typeof renderToPipeableStream, element: ReactElement): Promise<{ html: string; writes: number }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        parts.push(Buffer.from(chunk));
        done();
      },
      final(done) {
        resolve({ html: Buffer.concat(parts).toString("utf8"), writes: parts.length });
        done();
      },
    });
    const { pipe } = render(element, { onShellReady: () => pipe(out), onShellError: reject });
  });
}
