// What scripts/server.ts hands every loader and action (getLoadContext).
declare module "@remix-run/node" {
  interface AppLoadContext {
    cspNonce: string;
    /** The client's address (X-Forwarded-For is trusted only when TRUST_PROXY is set). */
    clientIp: string;
    /**
     * Whether the answer is a whole page (HTML), rather than data for a navigation inside the page
     * (single fetch's `.data` requests): a whole page already carries its kept markup (shownAsMarkup).
     */
    wholePage: boolean;
  }
}
export {};

// Single fetch: loaders and actions return data() and typed objects, not json() Responses.
declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}
