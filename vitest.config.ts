import { defineConfig, mergeConfig } from "vitest/config";
import type { UserConfig } from "vite";
import viteConfig from "./vite.config";

// Two projects share one run: integration tests (real PostgreSQL, one cloned database per file)
// and end-to-end tests (the built app served by scripts/server.ts, driven in Debian's Chromium).
export default mergeConfig(
  viteConfig as UserConfig,
  defineConfig({
    test: {
      // Each integration file has its own database and uploads folder, and most of a test's time is
      // spent waiting on PostgreSQL: three files at once on two cores took that suite from about 7
      // to 4 minutes (vitest's default is one fork per core minus one). The e2e files still run
      // one after another in their single fork.
      maxWorkers: 3,
      projects: [
        {
          extends: true,
          test: {
            name: "integration",
            include: ["app/**/*.test.{ts,tsx}", "tests/integration/**/*.test.{ts,tsx}", "scripts/**/*.test.ts", "db/**/*.test.ts"],
            globalSetup: ["tests/setup/global-db.ts"],
            setupFiles: ["tests/setup/fail-on-console-error.ts", "tests/setup/per-file-db.ts"],
            testTimeout: 30_000,
            hookTimeout: 60_000,
            pool: "forks",
          },
        },
        {
          extends: true,
          test: {
            name: "e2e",
            include: ["tests/e2e/**/*.test.ts"],
            globalSetup: ["tests/setup/global-e2e.ts"],
            testTimeout: 60_000,
            hookTimeout: 180_000,
            // One browser and one server at a time on a 2-core machine.
            pool: "forks",
            poolOptions: { forks: { singleFork: true } },
          },
        },
      ],
    },
  }),
);
