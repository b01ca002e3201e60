import type { Request, Response } from "express";
import { describe, expect, it } from "vitest";
import { setSecurityHeaders } from "~/server/security.server";

// Each answer's CSP nonce is its own: 16 bytes of the CSPRNG, cut from a pool refilled every 256.

function answer() {
  const headers = new Map<string, string>();
  const res = { locals: {} as Record<string, unknown>, setHeader: (name: string, value: string) => headers.set(name, value) };
  setSecurityHeaders({ secure: false } as Request, res as unknown as Response, { dev: false });
  return { nonce: res.locals.cspNonce as string, csp: headers.get("Content-Security-Policy")! };
}

describe("the CSP nonce", () => {
  it("is 16 random bytes in base64, different for each of 1,000 answers (across pool refills), and the one the policy names", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const { nonce, csp } = answer();
      expect(Buffer.from(nonce, "base64")).toHaveLength(16);
      expect(csp).toContain(`script-src 'self' 'nonce-${nonce}'`);
      seen.add(nonce);
    }
    expect(seen.size).toBe(1000);
  });
});
