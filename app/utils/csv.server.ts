// CSV that opens cleanly in a French spreadsheet (Excel, LibreOffice): UTF-8 with a byte-order
// mark (without it Excel reads Windows-1252 and mangles accents), `;` between cells (`,` is the
// French decimal separator), CRLF between rows, and no cell a spreadsheet could run as a formula.

export const CSV_BOM = "\uFEFF";
export const CSV_SEPARATOR = ";";
export const CSV_NEWLINE = "\r\n";

/**
 * A number with a decimal comma, as a French spreadsheet reads it ("1,5"): `1.5` would be read as
 * text or as a date. It comes from us, so it is never neutralised, even when negative.
 */
export class CsvDecimal {
  constructor(
    readonly value: number,
    readonly digits = 1,
  ) {}
  toString(): string {
    return this.value.toFixed(this.digits).replace(".", ",");
  }
}

export type CsvValue = string | number | boolean | CsvDecimal | null | undefined;

/** A calendar date (YYYY-MM-DD) as dd/mm/yyyy, what a French spreadsheet reads as a date. */
export function csvDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`not a calendar date: ${date}`);
  return `${m[3]}/${m[2]}/${m[1]}`;
}

// A cell starting with one of these is read as a formula (or, for tab and CR, lets one through
// after the spreadsheet trims it): OWASP's "CSV injection". The apostrophe makes it plain text.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: neutralised when it could be a formula, quoted when it holds `;`, `"` or a line break. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (value instanceof CsvDecimal) return value.toString();
  // Numbers and booleans come from us, not from a person: -5 stays a number.
  let text = typeof value === "string" ? value : String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[;"\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One row, CRLF included. */
export function csvRow(cells: readonly CsvValue[]): string {
  return cells.map(csvCell).join(CSV_SEPARATOR) + CSV_NEWLINE;
}

/** A whole file as text: the BOM, the header row, then the rows. */
export function toCsv(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  let out = CSV_BOM + csvRow(header);
  for (const row of rows) out += csvRow(row);
  return out;
}

/**
 * A file as a stream of UTF-8 bytes, for exports too large to build in memory: `pages` yields
 * batches of rows (read from the database page by page).
 */
export function csvStream(header: readonly string[], pages: AsyncIterable<readonly (readonly CsvValue[])[]>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = pages[Symbol.asyncIterator]();
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(CSV_BOM + csvRow(header)));
        return;
      }
      const next = await iterator.next();
      if (next.done) {
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(next.value.map(csvRow).join("")));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/** The Content-Disposition of a download named `filename` (ASCII, safe in a header). */
export function attachment(filename: string): string {
  return `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`;
}
