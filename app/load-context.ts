// What scripts/server.ts hands every loader and action (getLoadContext).
declare module "@remix-run/node" {
  interface AppLoadContext {
    cspNonce: string;
    /** The client's address (X-Forwarded-For is trusted only when TRUST_PROXY is set). */
    clientIp: string;
  }
}
export {};

// Single fetch: loaders and actions return data() and typed objects, not json() Responses.
declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}
