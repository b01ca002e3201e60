import { hash, verify } from "@node-rs/argon2";

// argon2id with OWASP's minimum: m=19456 KiB, t=2, p=1. (Algorithm 2 = argon2id.)
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// A hash to verify against when the account does not exist, so that an unknown e-mail costs the
// same time as a wrong password and answers with the same message.
let dummyHash: Promise<string> | undefined;
export function timingDummyHash(): Promise<string> {
  dummyHash ??= hashPassword("relais-timing-dummy-password");
  return dummyHash;
}

export { PASSWORD_MIN_LENGTH } from "./password-rules";
