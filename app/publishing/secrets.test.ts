import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { setDatabaseUrl } from "~/env.server";
import { decryptSecret, encryptSecret, generateSecretsKey, SecretError, secretsKey } from "./secrets.server";

const key = randomBytes(32);
const token = "jeton-mastodon-Zx9_très-secret";

function flipOneByte(sealed: string, part: 1 | 2 | 3): string {
  const parts = sealed.split(":");
  const bytes = Buffer.from(parts[part], "base64url");
  bytes[0] ^= 0x01;
  parts[part] = bytes.toString("base64url");
  return parts.join(":");
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("no error thrown");
}

describe("channel secrets at rest", () => {
  afterEach(() => {
    delete process.env.SECRETS_KEY;
    setDatabaseUrl(process.env.DATABASE_URL!); // forget the parsed settings
  });

  it("round trip, in the versioned format, with a new IV each time", () => {
    const sealed = encryptSecret(token, { key });
    expect(sealed).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(decryptSecret(sealed, { key })).toBe(token);
    const again = encryptSecret(token, { key });
    expect(again).not.toBe(sealed);
    expect(again.split(":")[1]).not.toBe(sealed.split(":")[1]);
    expect(decryptSecret(encryptSecret("", { key }), { key })).toBe("");
    expect(decryptSecret(encryptSecret("émoji 🎉 et accents", { key }), { key })).toBe("émoji 🎉 et accents");
  });

  it("the stored value never contains the plaintext, in any encoding", () => {
    const secret = "whsec_" + "A".repeat(40);
    const sealed = encryptSecret(secret, { key });
    for (const form of [secret, "A".repeat(12), Buffer.from(secret).toString("base64url"), Buffer.from(secret).toString("base64").slice(0, 20), Buffer.from(secret).toString("hex")]) {
      expect(sealed).not.toContain(form);
    }
  });

  it("a tampered IV, tag or ciphertext is refused with a clear error that does not leak the secret", () => {
    const sealed = encryptSecret(token, { key });
    for (const part of [1, 2, 3] as const) {
      const error = errorOf(() => decryptSecret(flipOneByte(sealed, part), { key }));
      expect(error).toBeInstanceOf(SecretError);
      expect(error.message).toMatch(/altérée/);
      expect(error.message).not.toContain(token);
    }
    for (const broken of ["", token, "v2" + sealed.slice(2), sealed + ":x", sealed.replace(/:[^:]+$/, ":!!")]) {
      const error = errorOf(() => decryptSecret(broken, { key }));
      expect(error, broken).toBeInstanceOf(SecretError);
      expect(error.message).not.toContain(token);
    }
  });

  it("another key, or another context, does not open it", () => {
    const sealed = encryptSecret(token, { key, context: "channel:1:token" });
    const wrongKey = errorOf(() => decryptSecret(sealed, { key: randomBytes(32), context: "channel:1:token" }));
    expect(wrongKey).toBeInstanceOf(SecretError);
    expect(wrongKey.message).toMatch(/SECRETS_KEY a changé/);
    expect(wrongKey.message).not.toContain(token);
    expect(() => decryptSecret(sealed, { key, context: "channel:2:token" })).toThrow(SecretError);
    expect(decryptSecret(sealed, { key, context: "channel:1:token" })).toBe(token);
  });

  it("reads the key from SECRETS_KEY, and says what is wrong with it without repeating it", () => {
    delete process.env.SECRETS_KEY;
    setDatabaseUrl(process.env.DATABASE_URL!);
    expect(() => encryptSecret(token)).toThrow(/SECRETS_KEY manque/);

    const tooShort = randomBytes(16).toString("base64");
    const error = errorOf(() => secretsKey(tooShort));
    expect(error.message).toMatch(/SECRETS_KEY invalide : 32 octets en base64/);
    expect(error.message).not.toContain(tooShort);
    expect(() => secretsKey("pas de la base64 du tout !!")).toThrow(/SECRETS_KEY invalide/);

    const generated = generateSecretsKey();
    expect(Buffer.from(generated, "base64")).toHaveLength(32);
    process.env.SECRETS_KEY = generated;
    setDatabaseUrl(process.env.DATABASE_URL!);
    const sealed = encryptSecret(token);
    expect(decryptSecret(sealed, { key: Buffer.from(generated, "base64") })).toBe(token);
    expect(decryptSecret(sealed)).toBe(token);
  });
});
