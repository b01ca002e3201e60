import * as z from "zod/v4";

// zod compiles object parsers with `new Function` when it may, and probes for it as soon as an
// object schema is built: our CSP (no 'unsafe-eval') refuses the probe and reports it. vite.config.ts
// resolves "zod" to this module, so that the setting comes before any schema in every module that
// imports zod, whatever order the bundler gives them (a first import in root.tsx was not enough:
// modules merged into a shared chunk ran before it).
z.config({ jitless: true });

export * from "zod/v4";
export { z };
export default z;
