import { describe, expect, it } from "vitest";
import { CsvDecimal, csvCell, csvDate, csvRow, csvStream, toCsv } from "./csv.server";

describe("CSV for a French spreadsheet", () => {
  it("starts with a UTF-8 byte-order mark, separates cells with ; and rows with CRLF", async () => {
    const text = toCsv(["Date", "Qui"], [["14/03/2026 09:30", "Hélène Dupré"], ["15/03/2026 10:00", null]]);
    expect(text).toBe("\uFEFFDate;Qui\r\n14/03/2026 09:30;Hélène Dupré\r\n15/03/2026 10:00;\r\n");
    const bytes = Buffer.from(text, "utf8");
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.includes(Buffer.from("é", "utf8"))).toBe(true);
  });

  it("neutralises every cell that a spreadsheet would run as a formula", () => {
    expect(csvCell("=HYPERLINK(\"http://evil.example\",\"clic\")")).toBe(`"'=HYPERLINK(""http://evil.example"",""clic"")"`);
    expect(csvCell("+33 1 23 45 67 89")).toBe("'+33 1 23 45 67 89");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1:A2)")).toBe("'@SUM(A1:A2)");
    expect(csvCell("\t=1+1")).toBe("'\t=1+1");
    expect(csvCell("\r=1+1")).toBe(`"'\r=1+1"`);
    // Only at the start, and only text: a number we wrote stays a number.
    expect(csvCell("a=b")).toBe("a=b");
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(true)).toBe("true");
  });

  it("quotes cells holding the separator, quotes or line breaks, doubling the quotes", () => {
    expect(csvCell('Il a dit "bonjour"')).toBe('"Il a dit ""bonjour"""');
    expect(csvCell("un;deux")).toBe('"un;deux"');
    expect(csvCell("ligne 1\nligne 2")).toBe('"ligne 1\nligne 2"');
    expect(csvCell("ligne 1\r\nligne 2")).toBe('"ligne 1\r\nligne 2"');
    expect(csvCell("un, deux")).toBe("un, deux");
    expect(csvRow(["a;b", 'c"d', ""])).toBe('"a;b";"c""d";\r\n');
  });

  it("streams the same bytes page by page", async () => {
    async function* pages() {
      yield [["=1", "é"]];
      yield [["x;y", 2]];
    }
    const text = await new Response(csvStream(["A", "B"], pages())).text();
    // Response.text() strips a leading BOM when decoding: read the bytes.
    const bytes = Buffer.from(await new Response(csvStream(["A", "B"], pages())).arrayBuffer());
    expect(text).toBe("A;B\r\n'=1;é\r\n\"x;y\";2\r\n");
    expect(bytes.toString("utf8")).toBe("\uFEFFA;B\r\n'=1;é\r\n\"x;y\";2\r\n");
  });

  it("writes calendar dates as dd/mm/yyyy and decimals with a comma, never neutralised", () => {
    expect(csvDate("2026-03-31")).toBe("31/03/2026");
    expect(() => csvDate("31/03/2026")).toThrow();
    expect(csvCell(new CsvDecimal(1.25, 2))).toBe("1,25");
    expect(csvCell(new CsvDecimal(36.04))).toBe("36,0");
    expect(csvCell(new CsvDecimal(-2.5))).toBe("-2,5");
    expect(csvRow(["a", new CsvDecimal(0.5), 3])).toBe("a;0,5;3\r\n");
  });
});
