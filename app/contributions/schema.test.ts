import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LIMITS, maxLengthOf, photoFieldId, photoFieldName } from "./schema";

describe("form limits and names come from one place", () => {
  it("reads a string's maximum through preprocess, optional, nullable and default", () => {
    const text = z.string().trim().max(42);
    expect(maxLengthOf(text)).toBe(42);
    expect(maxLengthOf(z.preprocess((v) => v, text.optional()))).toBe(42);
    expect(maxLengthOf(text.nullable().default(null))).toBe(42);
    expect(maxLengthOf(z.string())).toBeUndefined();
    expect(maxLengthOf(z.number().max(3))).toBeUndefined();
  });

  it("gives the inputs the limits the schemas enforce", () => {
    expect(LIMITS).toEqual({ title: 200, place: 200, alt: 1000, credit: 200 });
  });

  it("names stored and new photos' fields with one scheme", () => {
    expect(photoFieldName(12, "alt")).toBe("photo.12.alt");
    expect(photoFieldName("new0", "rightsStatus")).toBe("photo.new0.rightsStatus");
    expect(photoFieldId(12, "alt")).toBe("photo-12-alt");
  });
});
