import { Group } from "@visx/group";
import { scaleBand, scaleLinear } from "@visx/scale";
import { useTranslation } from "react-i18next";

// Charts drawn as plain SVG by visx on the server: no JavaScript in the browser, a fixed viewBox
// (the page keeps its layout while it loads, and the drawing scales down to 360 px), a <title>
// saying what it shows, and the same figures as a table for screen readers and for reading.

const WIDTH = 640;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 8, bottom: 28, left: 36 };

export interface Series {
  key: string;
  label: string;
  color: string;
}

export interface Column {
  /** What the x axis shows under the bar (short), and the table's first cell (long). */
  short: string;
  long: string;
  values: Record<string, number>;
}

/**
 * Bars, one per column, stacked by series. `max` fixes the top of the scale (a share out of a
 * known total); `cell` writes a table cell otherwise than as the plain number.
 */
export function StackedBars({
  id,
  title,
  columnHeader,
  series,
  columns,
  max,
  cell,
}: {
  id: string;
  title: string;
  columnHeader: string;
  series: Series[];
  columns: Column[];
  max?: number;
  cell?: (column: Column, key: string) => string;
}) {
  const { t } = useTranslation();
  const innerWidth = WIDTH - MARGIN.left - MARGIN.right;
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const total = (c: Column) => series.reduce((n, s) => n + (c.values[s.key] ?? 0), 0);
  const top = Math.max(1, max ?? Math.max(0, ...columns.map(total)));
  const keyOf = (c: Column, i: number) => c.short + "\u200b" + i;
  const x = scaleBand<string>({ domain: columns.map(keyOf), range: [0, innerWidth], padding: 0.2 });
  const y = scaleLinear<number>({ domain: [0, top], range: [innerHeight, 0], nice: true });
  const ticks = y.ticks(4);
  // Labels under every bar would overlap past a dozen: every n-th one.
  const every = Math.ceil(columns.length / 12);
  const width = round(x.bandwidth());
  // The stacks, one group per series (its colour set once), the first series at the bottom; empty
  // segments not drawn and coordinates to a tenth of a pixel: a year of weeks drew 30 KB of SVG.
  const below = columns.map(() => 0);
  const layers = series.map((s) => ({
    series: s,
    bars: columns.flatMap((c, i) => {
      const value = c.values[s.key] ?? 0;
      const base = below[i];
      below[i] += value;
      if (value <= 0) return [];
      const top = y(base + value);
      return [{ i, x: round(x(keyOf(c, i)) ?? 0), y: round(top), height: round(y(base) - top) }];
    }),
  }));
  return (
    <figure className="chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`} className="chart-title">
        {title}
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-labelledby={`${id}-title`} className="chart-svg">
        <title id={`${id}-title`}>{title}</title>
        <Group left={MARGIN.left} top={MARGIN.top}>
          {ticks.map((tick) => (
            <g key={tick}>
              <line x1={0} x2={innerWidth} y1={round(y(tick))} y2={round(y(tick))} stroke="#d9dde5" />
              <text x={-6} y={round(y(tick))} dy="0.32em" textAnchor="end" fontSize={11} fill="#5b6475">
                {tick}
              </text>
            </g>
          ))}
          {layers.map((layer) => (
            <g key={layer.series.key} fill={layer.series.color} className="bars">
              {layer.bars.map((bar) => (
                <rect key={bar.i} x={bar.x} y={bar.y} width={width} height={bar.height} />
              ))}
            </g>
          ))}
          {columns.map((c, i) =>
            i % every === 0 ? (
              <text key={i} x={round((x(keyOf(c, i)) ?? 0) + x.bandwidth() / 2)} y={innerHeight + 16} textAnchor="middle" fontSize={11} fill="#5b6475">
                {c.short}
              </text>
            ) : null,
          )}
        </Group>
      </svg>
      {series.length > 1 ? (
        <ul className="chart-legend">
          {series.map((s) => (
            <li key={s.key}>
              <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
              {s.label}
            </li>
          ))}
        </ul>
      ) : null}
      <details className="chart-data">
        <summary>{t("statistics.data")}</summary>
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{columnHeader}</th>
                {series.map((s) => (
                  <th scope="col" key={s.key}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {columns.map((c, i) => (
                <tr key={i}>
                  <th scope="row">{c.long}</th>
                  {series.map((s) => (
                    <td key={s.key}>{cell ? cell(c, s.key) : (c.values[s.key] ?? 0)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

// Told apart by more than hue (the table gives the figures): dark to light.
export const STATUS_COLORS = { approved: "#1d4ed8", inReview: "#7c8db5", changesRequested: "#e0a100", rejected: "#b42318" };
const CHANNEL_COLORS = ["#1d4ed8", "#e0a100", "#067647", "#b42318", "#6d28d9", "#0e7490", "#5b6475", "#c2410c"];
export function channelColor(i: number): string {
  return CHANNEL_COLORS[i % CHANNEL_COLORS.length];
}
