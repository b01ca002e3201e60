import { describe, expect, it } from "vitest";
import { findPersonalData, isIban, isNir } from "./personal-data-check";

const kinds = (text: string) => findPersonalData(text).map((m) => [m.kind, m.text]);

describe("findPersonalData", () => {
  it("finds French phone numbers however they are written", () => {
    for (const phone of ["06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78", "0612345678", "+33 6 12 34 56 78", "+33612345678", "0033 1 23 45 67 89", "+33 (0)1 23 45 67 89", "01\u00a023\u00a045\u00a067\u00a089"]) {
      expect(kinds(`Contact : ${phone}, merci.`), phone).toEqual([["phone", phone]]);
    }
  });

  it("leaves alone numbers that are not phone numbers", () => {
    for (const text of ["Budget : 1 200 000 euros", "Le 12/06/2026 à 18 h", "Saison 2025-2026", "Réf. 123456789012", "00 12 34 56 78", "Code 06 12 34 56 78 90 12"]) {
      expect(kinds(text), text).toEqual([]);
    }
  });

  it("finds e-mail addresses but not fediverse handles", () => {
    expect(kinds("Écrire à marie.curie+expo@mairie-exemple.fr ou à Jean_D@asso.org.")).toEqual([
      ["email", "marie.curie+expo@mairie-exemple.fr"],
      ["email", "Jean_D@asso.org"],
    ]);
    expect(kinds("Suivez @culture@mastodon.social et #fete")).toEqual([]);
    expect(kinds("Une adresse incomplète : marie@localhost")).toEqual([]);
  });

  it("finds social security numbers whose key is right, Corsica included, and no others", () => {
    expect(kinds("NIR 1 85 05 78 006 084 91.")).toEqual([["nir", "1 85 05 78 006 084 91"]]);
    expect(kinds("n° 185057800608491")).toEqual([["nir", "185057800608491"]]);
    expect(kinds("Corse : 2 90 02 2A 004 123 04")).toEqual([["nir", "2 90 02 2A 004 123 04"]]);
    // Wrong keys: a 15-digit order number, a Corsican number checked the mainland's way.
    expect(kinds("Commande 185057800608492")).toEqual([]);
    expect(kinds("2 90 02 2B 004 123 04")).toEqual([]);
    expect(isNir("185057800608491")).toBe(true);
    expect(isNir("585057800608491")).toBe(false);
  });

  it("finds IBANs whose checksum holds, grouped or not, and no others", () => {
    expect(kinds("Virement : FR76 3000 6000 0112 3456 7890 189 merci")).toEqual([["iban", "FR76 3000 6000 0112 3456 7890 189"]]);
    expect(kinds("IBAN DE89370400440532013000")).toEqual([["iban", "DE89370400440532013000"]]);
    expect(kinds("FR76 3000 6000 0112 3456 7890 189 CCP")).toEqual([["iban", "FR76 3000 6000 0112 3456 7890 189"]]);
    expect(kinds("FR76 3000 6000 0112 3456 7890 188")).toEqual([]);
    expect(kinds("Salle AB12 CD34 EF56 GH78")).toEqual([]);
    expect(isIban("FR7630006000011234567890189")).toBe(true);
    expect(isIban("FR7630006000011234567890188")).toBe(false);
  });

  it("reports each match once, in order, with offsets that slice the text", () => {
    const text = "Tél. 06 12 34 56 78 — mail : a@b.fr — NIR 185057800608491";
    const found = findPersonalData(text);
    expect(found.map((f) => f.kind)).toEqual(["phone", "email", "nir"]);
    for (const f of found) expect(text.slice(f.start, f.end)).toBe(f.text);
    expect(findPersonalData("Rien à signaler, rendez-vous samedi à 14 h place de la Mairie.")).toEqual([]);
  });
});
