import { vitePlugin as remix } from "@remix-run/dev";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import remixConfig from "./remix.config.js";

export default defineConfig({
  server: { host: "127.0.0.1" },
  resolve: { alias: { "~": fileURLToPath(new URL("./app", import.meta.url)) } },
  // The Remix plugin has no business in vitest runs (STACK.md).
  plugins: process.env.VITEST ? [] : [remix(remixConfig)],
  optimizeDeps: { include: ["@tiptap/react", "@tiptap/starter-kit"] },
  build: { target: "es2022" },
});
