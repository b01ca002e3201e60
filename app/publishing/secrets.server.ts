import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { env } from "~/env.server";

// Channel tokens, app passwords and webhook secrets are stored encrypted with a key that lives
// outside the database (SECRETS_KEY), so a copy of the database alone does not hand out the
// organisation's accounts. AES-256-GCM authenticates as well as encrypts: a value altered in the
// database, or read with another key, is refused instead of decrypting to garbage.

const VERSION = "v1";
const IV_BYTES = 12; // GCM's standard nonce size; random per value, so one key can safely seal many.
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** A secret that cannot be sealed or opened. Its message never contains the secret or the key. */
export class SecretError extends Error {
  override name = "SecretError";
}

/** A new SECRETS_KEY value (32 random bytes in base64), as `openssl rand -base64 32` gives. */
export function generateSecretsKey(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

/**
 * The demo's key, kept in its data folder (made on first run, readable by its owner only): the
 * demo then works without setting SECRETS_KEY, and its channels still open after a restart.
 */
export function demoSecretsKey(dataDir: string): string {
  const file = path.join(dataDir, "secrets.key");
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const key = generateSecretsKey();
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * The key from SECRETS_KEY: 32 bytes written in base64. Checked here rather than in the settings
 * schema, whose error messages repeat the refused value, and this value is the key itself.
 */
export function secretsKey(raw: string | undefined = env().SECRETS_KEY): Buffer {
  const text = raw?.trim();
  if (!text) {
    throw new SecretError("SECRETS_KEY manque : la clé qui chiffre les jetons des canaux (32 octets en base64, `openssl rand -base64 32`).");
  }
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, "base64") : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) {
    throw new SecretError("SECRETS_KEY invalide : 32 octets en base64 attendus (`openssl rand -base64 32`).");
  }
  return key;
}

/** Whether SECRETS_KEY is set and valid: the channels page says so instead of failing a save. */
export function secretsKeyReady(): boolean {
  try {
    secretsKey();
    return true;
  } catch (error) {
    if (error instanceof SecretError) return false;
    throw error;
  }
}

/**
 * Seals `plaintext` as `v1:<iv>:<tag>:<ciphertext>` (base64url). `context` (for example
 * "channel:<id>:token") is authenticated but not stored: a value copied onto another channel's
 * row does not open there.
 */
export function encryptSecret(plaintext: string, options: { key?: Buffer; context?: string } = {}): string {
  const key = options.key ?? secretsKey();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(`${VERSION}:${options.context ?? ""}`, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(":");
}

/** Opens a value sealed by encryptSecret, with the same key and context; a SecretError otherwise. */
export function decryptSecret(sealed: string, options: { key?: Buffer; context?: string } = {}): string {
  const key = options.key ?? secretsKey();
  const parts = sealed.split(":");
  if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((p) => /^[A-Za-z0-9_-]*$/.test(p))) {
    throw new SecretError("Secret illisible : format inconnu (v1:<iv>:<tag>:<chiffré> attendu).");
  }
  const [, ivText, tagText, dataText] = parts;
  const iv = Buffer.from(ivText, "base64url");
  const tag = Buffer.from(tagText, "base64url");
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new SecretError("Secret illisible : format inconnu (v1:<iv>:<tag>:<chiffré> attendu).");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(`${VERSION}:${options.context ?? ""}`, "utf8"));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(dataText, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    // Node's own message says nothing useful here; ours says what to check.
    throw new SecretError("Secret indéchiffrable : la clé SECRETS_KEY a changé, ou la valeur a été altérée. Saisissez à nouveau le secret du canal.");
  }
}
