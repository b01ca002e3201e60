import { z } from "zod";

// zod compiles object parsers with `new Function` when it may, and probes for it as soon as an
// object schema is built: our CSP (no 'unsafe-eval') refuses the probe and reports it. root.tsx
// imports this module first, so that it runs before any module builds a schema, on the server and
// in the browser alike.
z.config({ jitless: true });
