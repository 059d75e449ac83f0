import type { FeatureGroup } from "../catalog";
import { BarChart, formatNumber } from "./charts";
import { bytes, duration, isoTime } from "./format";
import type { OfflineView } from "./group-offline";

/** The offline sections of a group page: freshness, write volume, footer statistics and sampled histograms. */

export function Freshness(props: { view: OfflineView }) {
  const { view } = props;
  return (
    <section aria-labelledby="freshness-title">
      <h2 id="freshness-title">Freshness</h2>
      <dl class="facts">
        <dt>Offline rows</dt>
        <dd>
          {formatNumber(view.rows)} in {view.files} file{view.files === 1 ? "" : "s"} ({bytes(view.bytes)})
        </dd>
        <dt>Last offline file</dt>
        <dd>{view.lastFileWriteAt === null ? "none yet" : `holds writes up to ${isoTime(view.lastFileWriteAt)}`}</dd>
        <dt>Outbox rows pending</dt>
        <dd>{view.outbox.rows === 0 ? "none: every online write is in the offline store" : `${view.outbox.rows} (oldest written ${isoTime(view.outbox.oldestAt)})`}</dd>
        <dt>Offline lag</dt>
        <dd>{view.outbox.rows === 0 ? "none" : duration(view.lagMs)}</dd>
      </dl>
    </section>
  );
}

export function Volume(props: { view: OfflineView }) {
  const bars = props.view.volume.map((b) => ({ label: isoTime(b.start).slice(5, 16).replace("T", " "), value: b.rows }));
  return (
    <section aria-labelledby="volume-title">
      <h2 id="volume-title">Write volume</h2>
      {bars.length === 0 ? (
        <p class="muted">No offline files yet.</p>
      ) : (
        <figure>
          <BarChart id="volume" title="Rows written over time" bars={bars} unit="rows" />
          <figcaption>Rows in offline files by the time they were written (UTC), from the manifest.</figcaption>
        </figure>
      )}
    </section>
  );
}

const TIME_COLUMNS = new Set(["write_time", "api_invocation_time", "available_time"]);

function statText(column: string, value: number | bigint | string | boolean | undefined): string {
  if (value === undefined) return "—";
  if (TIME_COLUMNS.has(column) && typeof value === "bigint") return isoTime(Number(value));
  if (typeof value === "string" && value.length > 64) return `${value.slice(0, 64)}…`;
  return typeof value === "number" ? formatNumber(value) : String(value);
}

export function Statistics(props: { view: OfflineView; group: FeatureGroup }) {
  const { stats } = props.view;
  if ("unavailable" in stats) return <p class="notice refused">Statistics are unavailable: {stats.unavailable}.</p>;
  const features = new Set(props.group.features.map((f) => f.name));
  const columns = stats.columns.filter((col) => features.has(col.name) || TIME_COLUMNS.has(col.name));
  return (
    <section aria-labelledby="stats-title">
      <h2 id="stats-title">Feature statistics</h2>
      <p class="muted">
        From the Parquet footers of {stats.filesRead} of {stats.filesInManifest} offline file{stats.filesInManifest === 1 ? "" : "s"} (the newest), no data read: {formatNumber(stats.rows)} rows, {bytes(stats.bytesRead)} read from file tails.
      </p>
      {columns.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col" class="num">Rows</th>
              <th scope="col" class="num">Null fraction</th>
              <th scope="col">Min</th>
              <th scope="col">Max</th>
            </tr>
          </thead>
          <tbody>
            {columns.map((col) => (
              <tr>
                <th scope="row">
                  <code>{col.name}</code>
                </th>
                <td class="num">{formatNumber(col.rows)}</td>
                <td class="num">{col.nulls === null || col.rows === 0 ? "—" : `${((col.nulls / col.rows) * 100).toFixed(1)}%`}</td>
                <td>{statText(col.name, col.min)}</td>
                <td>{statText(col.name, col.max)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

export function Distributions(props: { view: OfflineView }) {
  const sample = props.view.histograms;
  if ("unavailable" in sample) return <p class="notice refused">Histograms are unavailable: {sample.unavailable}.</p>;
  if (sample.histograms.length === 0) return sample.skipped ? <p class="muted">No histograms: {sample.skipped}.</p> : null;
  return (
    <section aria-labelledby="histograms-title">
      <h2 id="histograms-title">Distributions (sample)</h2>
      <p class="muted">
        Numeric features over a sample of {formatNumber(sample.sampledRows)} row{sample.sampledRows === 1 ? "" : "s"}: the last row group of each of the {sample.rowGroups} newest offline file{sample.rowGroups === 1 ? "" : "s"}.
      </p>
      <div class="grid2">
        {sample.histograms.map((h) => {
          const width = (h.max - h.min) / h.counts.length;
          const bars = h.counts.map((count, i) => ({ label: formatNumber(h.min + i * width), value: count }));
          return (
            <figure>
              <BarChart id={`histogram-${h.feature}`} title={`Distribution of ${h.feature}`} bars={bars} unit="values" />
              <figcaption>
                {h.feature}: {h.values} values from {formatNumber(h.min)} to {formatNumber(h.max)}.
              </figcaption>
            </figure>
          );
        })}
      </div>
    </section>
  );
}
