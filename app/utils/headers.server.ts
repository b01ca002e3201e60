import type { HeadersFunction } from "@remix-run/node";

/**
 * A route's `headers` for forms that may answer 429: Remix sends only the headers a route's
 * `headers` returns, so without it the throttle's Retry-After would be lost.
 */
export const keepRetryAfter: HeadersFunction = ({ parentHeaders, actionHeaders }) => {
  const headers = new Headers(parentHeaders);
  const retryAfter = actionHeaders.get("Retry-After");
  if (retryAfter) headers.set("Retry-After", retryAfter);
  return headers;
};
