import { describe, expect, it } from "vitest";
import { DEFAULT_SLOTS, isSlotTime, isTimeZone, nextFreeSlot, slotInstants, type Slot } from "./slots";

const PARIS = "Europe/Paris";
const iso = (dates: Date[]) => dates.map((date) => date.toISOString());
const at = (text: string) => new Date(text);

describe("posting slots", () => {
  it("a 09:00 slot stays 09:00 in Paris across the spring change (2026-03-29): 23 h between Saturday and Sunday", () => {
    const slots: Slot[] = [
      { weekday: 6, time: "09:00" },
      { weekday: 7, time: "09:00" },
    ];
    const instants = slotInstants(slots, PARIS, at("2026-03-27T00:00Z"), at("2026-03-30T00:00Z"));
    expect(iso(instants)).toEqual(["2026-03-28T08:00:00.000Z", "2026-03-29T07:00:00.000Z"]);
    expect(instants[1].getTime() - instants[0].getTime()).toBe(23 * 3_600_000);
  });

  it("a 09:00 slot stays 09:00 in Paris across the autumn change (2026-10-25): 25 h between Saturday and Sunday", () => {
    const slots: Slot[] = [
      { weekday: 6, time: "09:00" },
      { weekday: 7, time: "09:00" },
    ];
    const instants = slotInstants(slots, PARIS, at("2026-10-23T00:00Z"), at("2026-10-26T00:00Z"));
    expect(iso(instants)).toEqual(["2026-10-24T07:00:00.000Z", "2026-10-25T08:00:00.000Z"]);
    expect(instants[1].getTime() - instants[0].getTime()).toBe(25 * 3_600_000);
  });

  it("spring gap: a Sunday 02:30 slot, which does not exist on 2026-03-29, moves to 03:30 (+02:00) and is not skipped", () => {
    const sunday0230: Slot[] = [{ weekday: 7, time: "02:30" }];
    expect(iso(slotInstants(sunday0230, PARIS, at("2026-03-22T00:00Z"), at("2026-04-06T00:00Z")))).toEqual([
      "2026-03-22T01:30:00.000Z", // 02:30+01:00
      "2026-03-29T01:30:00.000Z", // 03:30+02:00: the gap's length later
      "2026-04-05T00:30:00.000Z", // 02:30+02:00
    ]);
    // A 03:30 slot the same day is the same instant: listed once, so it cannot be booked twice.
    const both: Slot[] = [...sunday0230, { weekday: 7, time: "03:30" }];
    expect(iso(slotInstants(both, PARIS, at("2026-03-29T00:00Z"), at("2026-03-30T00:00Z")))).toEqual([
      "2026-03-29T01:30:00.000Z",
    ]);
  });

  it("autumn overlap: a Sunday 02:30 slot, which happens twice on 2026-10-25, is one instant at the earlier offset (+02:00)", () => {
    const instants = slotInstants([{ weekday: 7, time: "02:30" }], PARIS, at("2026-10-24T00:00Z"), at("2026-10-26T00:00Z"));
    expect(iso(instants)).toEqual(["2026-10-25T00:30:00.000Z"]);
  });

  it("a range across a year end, with the default evening slots (Monday to Friday, 18:30)", () => {
    // 2026-12-31 is a Thursday, 2027-01-01 a Friday; 18:30 in Paris is 17:30Z in winter.
    const instants = slotInstants(DEFAULT_SLOTS, PARIS, at("2026-12-30T12:00Z"), at("2027-01-05T12:00Z"));
    expect(iso(instants)).toEqual([
      "2026-12-30T17:30:00.000Z",
      "2026-12-31T17:30:00.000Z",
      "2027-01-01T17:30:00.000Z",
      "2027-01-04T17:30:00.000Z",
    ]);
    expect(nextFreeSlot(DEFAULT_SLOTS, PARIS, at("2027-01-01T18:00Z"), new Set())?.toISOString()).toBe("2027-01-04T17:30:00.000Z");
  });

  it("the default slots are all in the evening, local time", () => {
    expect(DEFAULT_SLOTS.length).toBeGreaterThan(0);
    for (const slot of DEFAULT_SLOTS) expect(Number(slot.time.slice(0, 2))).toBeGreaterThanOrEqual(17);
  });

  it("a zone with a half-hour offset: 09:00 in Kolkata (+05:30, no DST) is 03:30Z", () => {
    const instants = slotInstants([{ weekday: 3, time: "09:00" }], "Asia/Kolkata", at("2026-03-23T00:00Z"), at("2026-04-09T00:00Z"));
    expect(iso(instants)).toEqual(["2026-03-25T03:30:00.000Z", "2026-04-01T03:30:00.000Z", "2026-04-08T03:30:00.000Z"]);
  });

  it("a zone whose clocks change by half an hour: 02:15 in Lord Howe's spring gap (2026-10-04, 02:00 → 02:30) becomes 02:45 (+11:00)", () => {
    const instants = slotInstants([{ weekday: 7, time: "02:15" }], "Australia/Lord_Howe", at("2026-09-26T00:00Z"), at("2026-10-05T00:00Z"));
    expect(iso(instants)).toEqual([
      "2026-09-26T15:45:00.000Z", // Sunday 27 September 02:15+10:30
      "2026-10-03T15:45:00.000Z", // Sunday 4 October 02:45+11:00
    ]);
  });

  it("range bounds: from included, to excluded, an empty or reversed range gives nothing", () => {
    const monday: Slot[] = [{ weekday: 1, time: "18:30" }];
    const slot = at("2026-06-01T16:30Z");
    expect(iso(slotInstants(monday, PARIS, slot, at("2026-06-02T00:00Z")))).toEqual([slot.toISOString()]);
    expect(slotInstants(monday, PARIS, at("2026-06-01T00:00Z"), slot)).toEqual([]);
    expect(slotInstants(monday, PARIS, slot, slot)).toEqual([]);
    expect(slotInstants([], PARIS, at("2026-01-01T00:00Z"), at("2027-01-01T00:00Z"))).toEqual([]);
  });

  it("next free slot: strictly after the given instant, skipping the taken ones", () => {
    const slots: Slot[] = [
      { weekday: 2, time: "18:30" },
      { weekday: 4, time: "18:30" },
    ];
    const tuesday = at("2026-06-02T16:30Z");
    const thursday = at("2026-06-04T16:30Z");
    expect(nextFreeSlot(slots, PARIS, at("2026-06-01T10:00Z"), new Set())).toEqual(tuesday);
    // A slot at exactly "now" is already gone.
    expect(nextFreeSlot(slots, PARIS, tuesday, new Set())).toEqual(thursday);
    expect(nextFreeSlot(slots, PARIS, at("2026-06-01T10:00Z"), new Set([tuesday.getTime()]))).toEqual(thursday);
  });

  it("next free slot looks 60 days ahead, then gives up with null", () => {
    const mondays: Slot[] = [{ weekday: 1, time: "18:30" }];
    const start = at("2026-06-01T00:00Z"); // a Monday; its slot is day 0, the ninth Monday day 56, the tenth day 63
    const weeks = (n: number) => new Set(slotInstants(mondays, PARIS, start, at("2026-12-31T00:00Z")).slice(0, n).map((date) => date.getTime()));
    expect(nextFreeSlot(mondays, PARIS, start, weeks(8))?.toISOString()).toBe("2026-07-27T16:30:00.000Z");
    expect(nextFreeSlot(mondays, PARIS, start, weeks(9))).toBeNull();
    expect(nextFreeSlot([], PARIS, start, new Set())).toBeNull();
  });

  it("refuses malformed slots, dates and zones", () => {
    const range = [at("2026-01-01T00:00Z"), at("2026-02-01T00:00Z")] as const;
    expect(() => slotInstants([{ weekday: 1, time: "24:00" }], PARIS, ...range)).toThrow(RangeError);
    expect(() => slotInstants([{ weekday: 1, time: "9:00" }], PARIS, ...range)).toThrow(RangeError);
    expect(() => slotInstants([{ weekday: 0 as never, time: "09:00" }], PARIS, ...range)).toThrow(RangeError);
    expect(() => slotInstants(DEFAULT_SLOTS, PARIS, new Date(Number.NaN), range[1])).toThrow(RangeError);
    expect(() => slotInstants(DEFAULT_SLOTS, "Europe/Nowhere", ...range)).toThrow(RangeError);
    expect(isSlotTime("18:30")).toBe(true);
    expect(isSlotTime("00:00")).toBe(true);
    expect(isSlotTime("23:60")).toBe(false);
    expect(isSlotTime(" 18:30")).toBe(false);
    expect(isTimeZone("Europe/Paris")).toBe(true);
    expect(isTimeZone("Asia/Kolkata")).toBe(true);
    expect(isTimeZone("Europe/Nowhere")).toBe(false);
    expect(isTimeZone("+05:30")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });
});
