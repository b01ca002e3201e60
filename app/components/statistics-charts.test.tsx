import { renderToStaticMarkup } from "react-dom/server";
import { I18nextProvider } from "react-i18next";
import { describe, expect, it } from "vitest";
import { serverI18n } from "~/i18n/i18n";
import { StackedBars } from "./statistics-charts";

/** Each drawn bar: its series' colour (from its group), position and size. */
function bars(svg: string) {
  const found: { fill: string; x: number; y: number; height: number }[] = [];
  for (const group of svg.matchAll(/<g fill="([^"]+)" class="bars">(.*?)<\/g>/g)) {
    for (const rect of group[2].matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)) {
      found.push({ fill: group[1], x: Number(rect[1]), y: Number(rect[2]), height: Number(rect[3]) });
    }
  }
  return found;
}

describe("stacked bars", () => {
  it("draws each non-zero value, its height in proportion, the second series on top of the first", () => {
    const html = renderToStaticMarkup(
      <I18nextProvider i18n={serverI18n("fr")}>
        <StackedBars
          id="test"
          title="Essai"
          columnHeader="Semaine"
          series={[
            { key: "a", label: "A", color: "#111111" },
            { key: "b", label: "B", color: "#222222" },
          ]}
          columns={[
            { short: "1", long: "un", values: { a: 2, b: 1 } },
            { short: "2", long: "deux", values: { a: 0, b: 3 } },
            { short: "3", long: "trois", values: { a: 4, b: 0 } },
          ]}
        />
      </I18nextProvider>,
    );
    const drawn = bars(html);
    expect(drawn.map((b) => b.fill)).toEqual(["#111111", "#111111", "#222222", "#222222"]);
    const [a1, a3, b1, b2] = drawn;
    expect(a1.height / a3.height).toBeCloseTo(0.5, 1);
    expect(b2.height / a3.height).toBeCloseTo(0.75, 1);
    expect(b1.x).toBe(a1.x);
    expect(b1.y + b1.height).toBeCloseTo(a1.y, 0); // on top of it
    expect(a1.y + a1.height).toBeCloseTo(b2.y + b2.height, 1); // both stacks start from the axis
    // The figures are in the table too.
    expect(html).toContain("<th scope=\"row\">deux</th><td>0</td><td>3</td>");
  });
});
