import { createContext, useContext } from "react";

// The per-request CSP nonce, set by entry.server.tsx, read by <Scripts> and friends in root.tsx.
const NonceContext = createContext<string>("");
export const NonceProvider = NonceContext.Provider;
export const useNonce = () => useContext(NonceContext);
