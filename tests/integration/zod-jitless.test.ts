import { expect, it, vi } from "vitest";

// Every `new Function("")`, zod's probe for compiled parsers, from before the first import on.
const probes = vi.hoisted(() => {
  const calls: string[] = [];
  globalThis.Function = new Proxy(globalThis.Function, {
    construct(target, args: string[]) {
      calls.push(String(args.at(-1) ?? ""));
      return Reflect.construct(target, args);
    },
  });
  return calls;
});

it("zod never reaches for new Function (our CSP refuses it): \"zod\" resolves to app/utils/zod-setup.ts", async () => {
  await import("~/root");
  await import("~/routes/contributions.new");
  const { z } = await import("zod");
  expect(z.object({ a: z.string() }).parse({ a: "x" })).toEqual({ a: "x" });
  expect(probes.filter((body) => body === "")).toEqual([]);
});
