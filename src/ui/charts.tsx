/**
 * Charts as inline SVG, drawn on the server: no script, readable by screen
 * readers through a title and description, and each chart's numbers are
 * also in a table next to it. Pure functions of their data.
 */

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 56, right: 16, top: 16, bottom: 36 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;

export interface Bar {
  label: string;
  value: number;
}

export interface Point {
  /** Epoch ms. */
  x: number;
  y: number;
}

/** Short, round-ish labels for axis values. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

function Frame(props: { id: string; title: string; description: string; children?: unknown }) {
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${props.id}-chart-title ${props.id}-chart-desc`}>
      <title id={`${props.id}-chart-title`}>{props.title}</title>
      <desc id={`${props.id}-chart-desc`}>{props.description}</desc>
      <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + PLOT_H} />
      <line class="axis" x1={PAD.left} y1={PAD.top + PLOT_H} x2={PAD.left + PLOT_W} y2={PAD.top + PLOT_H} />
      {props.children as string}
    </svg>
  );
}

/** Bars of non-negative values, labelled at the first, middle and last bar. */
export function BarChart(props: { id: string; title: string; bars: readonly Bar[]; unit: string }) {
  const max = Math.max(1, ...props.bars.map((b) => b.value));
  const slot = PLOT_W / Math.max(1, props.bars.length);
  const labelled = new Set([0, Math.floor((props.bars.length - 1) / 2), props.bars.length - 1]);
  const total = props.bars.reduce((sum, b) => sum + b.value, 0);
  return (
    <Frame id={props.id} title={props.title} description={`${props.bars.length} bars, ${formatNumber(total)} ${props.unit} in all, at most ${formatNumber(max)} in one bar.`}>
      <text x={PAD.left - 6} y={PAD.top + 4} text-anchor="end">
        {formatNumber(max)}
      </text>
      <text x={PAD.left - 6} y={PAD.top + PLOT_H} text-anchor="end">
        0
      </text>
      {props.bars.map((bar, i) => {
        const h = (bar.value / max) * PLOT_H;
        return (
          <g>
            <rect class="bar" x={PAD.left + i * slot + 1} y={PAD.top + PLOT_H - h} width={Math.max(1, slot - 2)} height={h}>
              <title>{`${bar.label}: ${formatNumber(bar.value)} ${props.unit}`}</title>
            </rect>
            {labelled.has(i) ? (
              <text x={PAD.left + i * slot + slot / 2} y={HEIGHT - 12} text-anchor="middle">
                {bar.label}
              </text>
            ) : null}
          </g>
        );
      })}
    </Frame>
  );
}

/** A line through points in time order, with a dot per point. */
export function LineChart(props: { id: string; title: string; points: readonly Point[]; xLabel: (ms: number) => string }) {
  const points = [...props.points].sort((a, b) => a.x - b.x);
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => PAD.left + (x1 === x0 ? PLOT_W / 2 : ((x - x0) / (x1 - x0)) * PLOT_W);
  const sy = (y: number) => PAD.top + (y1 === y0 ? PLOT_H / 2 : PLOT_H - ((y - y0) / (y1 - y0)) * PLOT_H);
  const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
  return (
    <Frame id={props.id} title={props.title} description={points.length === 0 ? "No points." : `${points.length} points from ${props.xLabel(x0)} to ${props.xLabel(x1)}; values from ${formatNumber(y0)} to ${formatNumber(y1)}.`}>
      {points.length > 0 ? (
        <g>
          <text x={PAD.left - 6} y={PAD.top + 4} text-anchor="end">
            {formatNumber(y1)}
          </text>
          <text x={PAD.left - 6} y={PAD.top + PLOT_H} text-anchor="end">
            {formatNumber(y0)}
          </text>
          <text x={PAD.left} y={HEIGHT - 12} text-anchor="start">
            {props.xLabel(x0)}
          </text>
          <text x={PAD.left + PLOT_W} y={HEIGHT - 12} text-anchor="end">
            {props.xLabel(x1)}
          </text>
          <path class="line" d={path} />
          {points.map((p) => (
            <circle class="dot" cx={sx(p.x)} cy={sy(p.y)} r={3}>
              <title>{`${props.xLabel(p.x)}: ${formatNumber(p.y)}`}</title>
            </circle>
          ))}
        </g>
      ) : null}
    </Frame>
  );
}

/**
 * Rows written over time from the offline manifest: each file's rows land in
 * the bin of its newest write time. Up to `bins` equal bins between the
 * oldest and newest write.
 */
export function writeVolume(files: readonly { rowCount: number; minWriteTime: number; maxWriteTime: number }[], bins: number): { start: number; end: number; rows: number }[] {
  if (files.length === 0) return [];
  const start = Math.min(...files.map((f) => f.minWriteTime));
  const end = Math.max(...files.map((f) => f.maxWriteTime));
  const count = end === start ? 1 : bins;
  const width = Math.max(1, Math.ceil((end - start + 1) / count));
  const out = Array.from({ length: count }, (_, i) => ({ start: start + i * width, end: start + (i + 1) * width, rows: 0 }));
  for (const file of files) out[Math.min(count - 1, Math.floor((file.maxWriteTime - start) / width))]!.rows += file.rowCount;
  return out;
}
