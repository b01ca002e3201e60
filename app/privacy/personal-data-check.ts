/*
 * Personal data that should not leave in a publication's text: French phone numbers, e-mail
 * addresses, French social security numbers (NIR) and IBANs. Pure, so that the page highlights
 * what the server will refuse without confirmation, as the text is typed.
 *
 * Numbers are recognised by their shape and, where they carry one, by their check digits (NIR
 * key, IBAN mod 97): a 15-digit order number is not a NIR. A fediverse handle
 * (@someone@instance.social) is not an e-mail address: it is meant to be public.
 */

export type PersonalDataKind = "phone" | "email" | "nir" | "iban";

export interface PersonalDataMatch {
  kind: PersonalDataKind;
  /** Offsets in the text (UTF-16 code units, as String.slice takes them), end excluded. */
  start: number;
  end: number;
  text: string;
}

// Separators people put in numbers: a space (also no-break ones), a dot, a dash.
const SEP = "[ \\u00a0\\u202f.\\-]?";

// 0X XX XX XX XX, or +33 / 0033 X XX XX XX XX (with "(0)" sometimes kept after the country code);
// not a part of a longer run of digit groups (a code, a serial number).
const PHONE = new RegExp(`(?<![\\d+]${SEP})(?:(?:\\+|00)33${SEP}(?:\\(0\\)${SEP})?|0)[1-9](?:${SEP}\\d{2}){4}(?!${SEP}\\d)`, "g");

const EMAIL = /(?<![\w.%+@-])[\w.%+-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}(?![\w-])/gi;

// Sex (1, 2; 3, 4, 7, 8 for people being registered), year, month, department (2A/2B for
// Corsica), commune, order number, key: 15 characters, often grouped.
const NIR = new RegExp(`(?<![\\dA-Za-z])([123478])${SEP}(\\d{2})${SEP}(\\d{2})${SEP}(\\d{2}|2[AB])${SEP}(\\d{3})${SEP}(\\d{3})${SEP}(\\d{2})(?![\\dA-Za-z])`, "gi");

// Country code, check digits, then groups of up to four letters or digits (upper case).
const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]{1,4}){3,8}(?![a-z0-9])/g;

/** The NIR's key is 97 - (n mod 97), n its first 13 digits; for Corsica 2A counts as 19, 2B as 18. */
export function isNir(compact: string): boolean {
  if (!/^[123478]\d{4}(\d{2}|2[AB])\d{8}$/i.test(compact)) return false;
  const body = compact.slice(0, 13).toUpperCase().replace("2A", "19").replace("2B", "18");
  const key = Number(compact.slice(13));
  // 13 digits stay below 2^53: exact in a Number.
  return key >= 1 && key <= 97 && key === 97 - (Number(body) % 97);
}

/** ISO 13616: the first four characters moved to the end, letters as 10..35, the number mod 97 is 1. */
export function isIban(compact: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  const moved = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const value = ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of value) rest = (rest * 10 + Number(digit)) % 97;
  }
  return rest === 1;
}

/** The longest prefix of `raw` (spaces aside, at least 15 characters) that is a valid IBAN, as [start, end) in raw. */
function ibanWithin(raw: string): number | null {
  const positions: number[] = [];
  let compact = "";
  for (let i = 0; i < raw.length; i++) {
    if (/[A-Z0-9]/.test(raw[i])) {
      compact += raw[i];
      positions.push(i);
    }
  }
  // A word in capitals may follow the number ("… 189 CCP"): try shorter until the checksum holds.
  for (let length = compact.length; length >= 15; length--) {
    if (isIban(compact.slice(0, length))) return positions[length - 1] + 1;
  }
  return null;
}

/** Every piece of personal data found in `text`, in order, none overlapping. */
export function findPersonalData(text: string): PersonalDataMatch[] {
  const found: PersonalDataMatch[] = [];
  const add = (kind: PersonalDataKind, start: number, end: number) => {
    if (found.some((f) => start < f.end && f.start < end)) return;
    found.push({ kind, start, end, text: text.slice(start, end) });
  };
  // The numbers with check digits first: a NIR or an IBAN may hold a phone-like run.
  for (const m of text.matchAll(IBAN)) {
    const end = ibanWithin(m[0]);
    if (end !== null) add("iban", m.index, m.index + end);
  }
  for (const m of text.matchAll(NIR)) {
    if (isNir(m.slice(1).join(""))) add("nir", m.index, m.index + m[0].length);
  }
  for (const m of text.matchAll(EMAIL)) add("email", m.index, m.index + m[0].length);
  for (const m of text.matchAll(PHONE)) add("phone", m.index, m.index + m[0].length);
  return found.sort((a, b) => a.start - b.start);
}
