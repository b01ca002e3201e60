import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatTime, todayIn } from "./dates";

// The formatters keep the texts they wrote (ICU is slow): what they give must stay what Intl gives,
// for every instant, when written again, and after they forget (2,000 texts each).

describe("dates as people read them", () => {
  it("are Intl's texts, written once or again, across clock changes and past the formatters' memory", () => {
    const start = Date.UTC(2026, 2, 28, 20, 0); // Paris's spring clock change is the night after
    const instants = Array.from({ length: 5_000 }, (_, i) => new Date(start + i * 7 * 60_000 + (i % 13) * 1_000));
    const paris = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat("fr", { ...options, timeZone: "Europe/Paris" });
    const expected = {
      dateTime: paris({ dateStyle: "medium", timeStyle: "short" }),
      date: paris({ dateStyle: "long" }),
      time: paris({ hour: "2-digit", minute: "2-digit" }),
    };
    for (let pass = 0; pass < 2; pass++) {
      for (const at of instants) {
        expect(formatDateTime(at, "fr", "Europe/Paris")).toBe(expected.dateTime.format(at));
        expect(formatDate(at.toISOString(), "fr", "Europe/Paris", "long")).toBe(expected.date.format(at));
        expect(formatTime(at.getTime(), "fr", "Europe/Paris")).toBe(expected.time.format(at));
      }
    }
    expect(formatDateTime(new Date("2026-03-29T01:30:00Z"), "fr", "Europe/Paris")).toBe("29 mars 2026, 03:30");
    // A calendar date stays on its day, whatever the zone; another language is another text.
    expect(formatDate("2026-03-14", "fr", "Pacific/Kiritimati", "long")).toBe("14 mars 2026");
    expect(formatDate("2026-03-14", "en", "Pacific/Kiritimati")).toBe("Mar 14, 2026");
  });

  it("start a new day at midnight in the zone, to the millisecond, in zones a half or three quarters of an hour off", () => {
    const cases = [
      ["Europe/Paris", "2026-03-28T23:00:00.000Z", "2026-03-29"], // UTC+1, the night of the clock change
      ["Europe/Paris", "2026-10-24T22:00:00.000Z", "2026-10-25"], // UTC+2
      ["Asia/Kolkata", "2026-01-01T18:30:00.000Z", "2026-01-02"], // UTC+5:30
      ["Asia/Kathmandu", "2026-01-01T18:15:00.000Z", "2026-01-02"], // UTC+5:45
      ["America/St_Johns", "2026-01-02T03:30:00.000Z", "2026-01-02"], // UTC−3:30
    ] as const;
    for (const [zone, midnight, day] of cases) {
      const at = new Date(midnight).getTime();
      expect(todayIn(zone, new Date(at)), `${zone} at ${midnight}`).toBe(day);
      expect(todayIn(zone, new Date(at + 59_999)), `${zone} after ${midnight}`).toBe(day);
      expect(todayIn(zone, new Date(at - 1)), `${zone} before ${midnight}`).not.toBe(day);
      expect(todayIn(zone, new Date(at - 1)), `${zone} before ${midnight}`).toBe(new Intl.DateTimeFormat("sv-SE", { timeZone: zone }).format(at - 1));
    }
  });
});
