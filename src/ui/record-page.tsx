import { Hono } from "hono";
import { recordSchemaOf, type FeatureGroup } from "../catalog";
import { orThrow } from "../failure";
import { authorize } from "../http/authorize";
import type { AppContext, AppEnv } from "../http/context";
import { failureMessage } from "../http/failures";
import { groupParam } from "../http/resources";
import type { VersionView } from "../query";
import { parseEventTime, parseRecordIdentifier } from "../records";
import { describeFeatureGroup, getRecord } from "../service";
import { LineChart, type Point } from "./charts";
import { cell, isoTime } from "./format";
import { groupPath, NotAllowed } from "./group-page";
import { page } from "./layout";
import { may } from "./permissions";

/** One record: its online value with its expiry, and its history from the offline store as a timeline and a chart. */
export const recordPageRoutes = new Hono<AppEnv>();

type Values = Record<string, unknown>;

function ValuesTable(props: { values: Values; caption: string }) {
  return (
    <table>
      <caption class="skip">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Feature</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(props.values).map(([name, value]) => (
          <tr>
            <th scope="row">
              <code>{name}</code>
            </th>
            <td>{cell(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

async function onlineSection(c: AppContext, group: FeatureGroup, id: string) {
  if (!group.onlineStore.enabled) return <p class="muted">This group has no online store.</p>;
  const record = orThrow(await getRecord(c.get("store"), { featureGroup: group.name, recordIdentifier: id, recordIdentifierField: "id", features: [], featuresField: "features" }));
  if (!record) return <p class="notice info">No online record with this identifier (never written, deleted or expired).</p>;
  return (
    <>
      <p>{record.expiresAtMs === null ? "Does not expire." : `Expires at ${isoTime(record.expiresAtMs)} (the group's TTL).`}</p>
      <ValuesTable values={JSON.parse(record.body) as Values} caption="Online record" />
    </>
  );
}

/** Numeric scalar features: the ones a chart can draw. */
const numericFeatures = (group: FeatureGroup) => group.features.filter((f) => !f.collection && (f.type === "Integral" || f.type === "Fractional") && f.name !== group.eventTimeFeature).map((f) => f.name);

function pointsOf(group: FeatureGroup, versions: readonly VersionView[], feature: string): Point[] {
  const type = group.features.find((f) => f.name === group.eventTimeFeature)?.type ?? "String";
  const points: Point[] = [];
  for (const v of versions) {
    const y = v.record[feature];
    const at = parseEventTime(group.eventTimeFeature, type, v.record[group.eventTimeFeature]);
    if (typeof y === "number" && at.ok && !v.isDeleted) points.push({ x: at.value.epochMs, y });
  }
  return points;
}

function History(props: { group: FeatureGroup; id: string; versions: readonly VersionView[]; feature: string | undefined }) {
  const { group, versions, feature } = props;
  const numeric = numericFeatures(group);
  if (versions.length === 0) return <p class="muted">No versions in the offline store yet (new writes arrive within a minute or so).</p>;
  return (
    <>
      {feature ? (
        <figure>
          <LineChart id="history" title={`${feature} over event time`} points={pointsOf(group, versions, feature)} xLabel={(ms) => isoTime(ms).slice(0, 16).replace("T", " ")} />
          <figcaption>
            {feature} of record {props.id} at each event time (UTC).
          </figcaption>
        </figure>
      ) : null}
      {numeric.length > 1 ? (
        <form method="get" action={`${groupPath(group.name)}/records`} class="filters">
          <input type="hidden" name="id" value={props.id} />
          <label>
            Chart feature
            <select name="feature">
              {numeric.map((name) => (
                <option value={name} selected={name === feature}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Show</button>
        </form>
      ) : null}
      <ol class="timeline" aria-label="Versions in event-time order">
        {versions.map((v) => (
          <li class={v.isDeleted ? "deleted" : ""}>
            <strong>{cell(v.record[group.eventTimeFeature])}</strong> {v.isDeleted ? <strong>deleted</strong> : null}
            <span class="muted"> · written {v.writeTime}</span>
            <ValuesTable values={v.record} caption={`Version at ${cell(v.record[group.eventTimeFeature])}`} />
          </li>
        ))}
      </ol>
    </>
  );
}

async function historySection(c: AppContext, group: FeatureGroup, id: string) {
  if (!group.offlineStore.enabled) return <p class="muted">This group has no offline store, so no history.</p>;
  if (!may(c, "featurestore:GetRecordHistory", group.name)) return <NotAllowed action="featurestore:GetRecordHistory" what="see this record's history" />;
  const recordIdentifier = orThrow(parseRecordIdentifier(recordSchemaOf(group), "id", id));
  const result = await c.env.QUERY.history({ featureGroup: group.name, generation: group.generation, recordIdentifier });
  if (!result.ok) return <p class="notice refused">History is unavailable: {failureMessage(result.failure)}</p>;
  const numeric = numericFeatures(group);
  const wanted = c.req.query("feature");
  const feature = wanted !== undefined && numeric.includes(wanted) ? wanted : numeric[0];
  return <History group={group} id={recordIdentifier} versions={result.value.versions} feature={feature} />;
}

recordPageRoutes.get("/feature-groups/:name/records", authorize("sagemaker:GetRecord", groupParam), async (c) => {
  const group = orThrow(await describeFeatureGroup(c.get("store"), c.req.param("name")));
  const id = (c.req.query("id") ?? "").trim();
  const [online, history] = id ? await Promise.all([onlineSection(c, group, id), historySection(c, group, id)]) : [null, null];
  return page(
    c,
    id ? `${id} · ${group.name}` : `Records · ${group.name}`,
    <>
      <p>
        <a href="/ui/feature-groups">Feature groups</a> / <a href={groupPath(group.name)}>{group.name}</a> /
      </p>
      <h1>{id ? `Record ${id}` : "Look up a record"}</h1>
      <form method="get" action={`${groupPath(group.name)}/records`} class="filters">
        <label>
          Record identifier ({group.recordIdentifierFeature})
          <input name="id" value={id} required />
        </label>
        <button type="submit">Look up</button>
      </form>
      {id ? (
        <>
          <section aria-labelledby="online-title">
            <h2 id="online-title">Online record</h2>
            {online}
          </section>
          <section aria-labelledby="history-title">
            <h2 id="history-title">History</h2>
            {history}
          </section>
        </>
      ) : null}
    </>,
  );
});
