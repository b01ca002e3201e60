import { renderToStaticMarkup } from "react-dom/server";
import { I18nextProvider } from "react-i18next";
import { describe, expect, it } from "vitest";
import { serverI18n } from "~/i18n/i18n";
import { useDuration } from "./statistics";

function Durations({ values }: { values: (number | null)[] }) {
  const duration = useDuration();
  return <>{values.map((v) => duration(v)).join(" | ")}</>;
}

const render = (locale: "fr" | "en", values: (number | null)[]) =>
  renderToStaticMarkup(
    <I18nextProvider i18n={serverI18n(locale)}>
      <Durations values={values} />
    </I18nextProvider>,
  );

describe("the dashboard's durations", () => {
  it("fills the translated messages with each value, in both languages", () => {
    const values = [null, 0, 45 * 60 + 20, 3 * 3600 + 20 * 60, 2 * 86400 + 4 * 3600 + 59, 10 * 86400];
    expect(render("fr", values)).toBe("— | 0 min | 45 min | 3 h 20 min | 2 j 4 h | 10 j 0 h");
    expect(render("en", values)).toBe("— | 0 min | 45 min | 3 h 20 min | 2 d 4 h | 10 d 0 h");
  });
});
