import { Temporal } from "temporal-polyfill";
import { describe, expect, it } from "vitest";
import { localDay } from "./queue-view.server";

describe("localDay", () => {
  it("gives the day Temporal gives, every 15 minutes around clock changes and midnights, in several zones", () => {
    const zones = ["Europe/Paris", "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "UTC"];
    // Days that hold a clock change in one of them, and a plain one.
    const starts = ["2026-03-08T00:00:00Z", "2026-03-28T12:00:00Z", "2026-04-04T12:00:00Z", "2026-09-26T12:00:00Z", "2026-10-24T12:00:00Z", "2026-11-01T00:00:00Z", "2026-06-15T00:00:00Z"];
    let checked = 0;
    for (const zone of zones) {
      for (const start of starts) {
        for (let i = 0; i < 4 * 48; i++) {
          const at = new Date(Date.parse(start) + i * 15 * 60_000);
          const expected = Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(zone).toPlainDate().toString();
          expect(localDay(at, zone), `${at.toISOString()} in ${zone}`).toBe(expected);
          checked++;
        }
      }
    }
    expect(checked).toBe(5 * 7 * 192);
  });
});
