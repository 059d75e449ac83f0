import { Hono } from "hono";
import { listFeatureMetadata, type FeatureGroup, type FeatureMetadata } from "../catalog";
import { orThrow } from "../failure";
import { authorize } from "../http/authorize";
import type { AppContext, AppEnv } from "../http/context";
import { groupParam } from "../http/resources";
import { arnOf } from "../http/sagemaker/control-shapes";
import { describeFeatureGroup, encryptionView, groupWriteStatus, type EncryptionView, type GroupWriteStatus, type StoreContext } from "../service";
import { duration, isoTime } from "./format";
import { offlineView, type OfflineView } from "./group-offline";
import type { Env } from "../env";
import { Distributions, Freshness, Statistics, Volume } from "./group-offline-sections";
import { CsrfField, page, viewerOf, type Viewer } from "./layout";
import { may } from "./permissions";

/** A feature group's page: what it is, how fresh it is, what its offline files say, and forms to describe and tag it. */
export const groupPageRoutes = new Hono<AppEnv>();

export const groupPath = (name: string) => `/ui/feature-groups/${encodeURIComponent(name)}`;

const SAVED: Record<string, string> = { description: "Description saved.", tags: "Tags saved.", feature: "Feature metadata saved." };

/** Says which action the key lacks, where a form or section would be. */
export function NotAllowed(props: { action: string; what: string }) {
  return (
    <p class="notice refused">
      Your access key's policy does not allow <code>{props.action}</code> on this group, so you cannot {props.what}.
    </p>
  );
}

/** When the online store last changed, and how long ago. */
function lastWriteText(at: number | null, now: number): string {
  if (at === null) return "none recorded yet";
  return `${isoTime(at)} (${duration(Math.max(0, now - at))} ago)`;
}

function Overview(props: { group: FeatureGroup; arn: string; encryption: EncryptionView; writes: GroupWriteStatus | null; now: number }) {
  const { group, encryption, writes } = props;
  const ttl = group.onlineStore.ttl;
  return (
    <div class="grid2">
      <section aria-labelledby="online-title">
        <h2 id="online-title">Online store</h2>
        <dl class="facts">
          <dt>Enabled</dt>
          <dd>{group.onlineStore.enabled ? "yes" : "no"}</dd>
          {group.onlineStore.enabled && writes ? (
            <>
              <dt>Last write</dt>
              <dd>{lastWriteText(writes.lastOnlineWriteAt, props.now)}</dd>
            </>
          ) : null}
          <dt>Record TTL</dt>
          <dd>{ttl ? `${ttl.value} ${ttl.unit}` : "none (records do not expire)"}</dd>
          <dt>Shards</dt>
          <dd>{group.shardCount}</dd>
          <dt>Encryption</dt>
          <dd>{encryption.online.enabled ? `data key version ${encryption.online.activeKeyVersion}` : "not encrypted by the store"}</dd>
        </dl>
      </section>
      <section aria-labelledby="offline-title">
        <h2 id="offline-title">Offline store</h2>
        <dl class="facts">
          <dt>Enabled</dt>
          <dd>{group.offlineStore.enabled ? "yes (Parquet in R2)" : "no"}</dd>
          <dt>Encryption</dt>
          <dd>{encryption.offline.enabled ? `SSE-C, data key version ${encryption.offline.activeKeyVersion}` : "not encrypted by the store"}</dd>
          <dt>Identifier</dt>
          <dd>
            <code>{group.recordIdentifierFeature}</code>
          </dd>
          <dt>Event time</dt>
          <dd>
            <code>{group.eventTimeFeature}</code>
          </dd>
          <dt>ARN</dt>
          <dd>
            <code>{props.arn}</code>
          </dd>
        </dl>
      </section>
    </div>
  );
}

function DescriptionForm(props: { c: AppContext; group: FeatureGroup; viewer: Viewer }) {
  if (!may(props.c, "sagemaker:UpdateFeatureGroup", props.group.name)) return <NotAllowed action="sagemaker:UpdateFeatureGroup" what="edit its description" />;
  return (
    <form method="post" action={`${groupPath(props.group.name)}/description`} class="stack">
      <CsrfField viewer={props.viewer} />
      <label for="group-description">Description</label>
      <textarea id="group-description" name="description" maxlength={1024}>
        {props.group.description ?? ""}
      </textarea>
      <div>
        <button type="submit">Save description</button>
      </div>
    </form>
  );
}

function Tags(props: { c: AppContext; group: FeatureGroup; viewer: Viewer }) {
  const { c, group, viewer } = props;
  const mayRemove = may(c, "sagemaker:DeleteTags", group.name);
  return (
    <section aria-labelledby="tags-title">
      <h2 id="tags-title">Tags</h2>
      {group.tags.length === 0 ? <p class="muted">No tags.</p> : null}
      <ul>
        {group.tags.map((t) => (
          <li>
            <span class="tag">
              {t.key}={t.value}
            </span>
            {mayRemove ? (
              <form method="post" action={`${groupPath(group.name)}/tags/remove`} class="inline">
                <CsrfField viewer={viewer} />
                <input type="hidden" name="key" value={t.key} />
                <button type="submit" class="secondary" aria-label={`Remove tag ${t.key}`}>
                  Remove
                </button>
              </form>
            ) : null}
          </li>
        ))}
      </ul>
      {!mayRemove && group.tags.length > 0 ? <NotAllowed action="sagemaker:DeleteTags" what="remove tags" /> : null}
      {may(c, "sagemaker:AddTags", group.name) ? (
        <form method="post" action={`${groupPath(group.name)}/tags`} class="filters">
          <CsrfField viewer={viewer} />
          <label>
            Tag key
            <input name="key" required maxlength={128} />
          </label>
          <label>
            Tag value
            <input name="value" maxlength={256} />
          </label>
          <button type="submit">Add or replace tag</button>
        </form>
      ) : (
        <NotAllowed action="sagemaker:AddTags" what="add tags" />
      )}
    </section>
  );
}

function Schema(props: { c: AppContext; group: FeatureGroup; metadata: FeatureMetadata[]; viewer: Viewer }) {
  const { c, group, viewer } = props;
  const mayEdit = may(c, "sagemaker:UpdateFeatureMetadata", group.name);
  return (
    <section aria-labelledby="schema-title">
      <h2 id="schema-title">Schema</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">Type</th>
            <th scope="col">Collection</th>
            <th scope="col">Description</th>
            <th scope="col">Parameters</th>
          </tr>
        </thead>
        <tbody>
          {props.metadata.map((m) => (
            <tr>
              <th scope="row">
                <code>{m.feature.name}</code>
                {m.feature.name === group.recordIdentifierFeature ? <span class="muted"> (identifier)</span> : null}
                {m.feature.name === group.eventTimeFeature ? <span class="muted"> (event time)</span> : null}
              </th>
              <td>{m.feature.type}</td>
              <td>{m.feature.collection ? `${m.feature.collection.type}${m.feature.collection.type === "Vector" ? ` (${m.feature.collection.dimension})` : ""}` : "—"}</td>
              <td>
                {m.description ?? <span class="muted">none</span>}
                {mayEdit ? (
                  <details>
                    <summary>Edit</summary>
                    <form method="post" action={`${groupPath(group.name)}/features/${encodeURIComponent(m.feature.name)}`} class="stack">
                      <CsrfField viewer={viewer} />
                      <label>
                        Description of {m.feature.name}
                        <textarea name="description" maxlength={255}>
                          {m.description ?? ""}
                        </textarea>
                      </label>
                      <label>
                        Add parameter: key
                        <input name="parameterKey" maxlength={255} />
                      </label>
                      <label>
                        Parameter value
                        <input name="parameterValue" maxlength={255} />
                      </label>
                      <div>
                        <button type="submit">Save {m.feature.name}</button>
                      </div>
                    </form>
                  </details>
                ) : null}
              </td>
              <td>
                {Object.entries(m.parameters).map(([k, v]) => (
                  <span class="tag">
                    {k}={v}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {mayEdit ? null : <NotAllowed action="sagemaker:UpdateFeatureMetadata" what="edit feature descriptions and parameters" />}
    </section>
  );
}

function RecordLookup(props: { group: FeatureGroup }) {
  return (
    <section aria-labelledby="lookup-title">
      <h2 id="lookup-title">Look up a record</h2>
      <form method="get" action={`${groupPath(props.group.name)}/records`} class="filters">
        <label>
          Record identifier ({props.group.recordIdentifierFeature})
          <input name="id" required />
        </label>
        <button type="submit">Look up</button>
      </form>
    </section>
  );
}

/**
 * What the page shows from the shards (last online write, outbox) and the
 * offline store: the shards are asked once, together, and only when the
 * page shows something of theirs.
 */
async function shardViews(store: StoreContext, env: Env, group: FeatureGroup, mayReadOffline: boolean): Promise<{ writes: GroupWriteStatus | null; offline: OfflineView | null }> {
  if (!group.onlineStore.enabled && !mayReadOffline) return { writes: null, offline: null };
  const writes = groupWriteStatus(store, group);
  const [status, offline] = await Promise.all([writes, mayReadOffline ? offlineView(store, env, group, writes.then((w) => w.outbox)) : null]);
  return { writes: status, offline };
}

groupPageRoutes.get("/feature-groups/:name", authorize("sagemaker:DescribeFeatureGroup", groupParam), async (c) => {
  const store = c.get("store");
  const group = orThrow(await describeFeatureGroup(store, c.req.param("name")));
  const viewer = viewerOf(c)!;
  const mayReadOffline = group.offlineStore.enabled && may(c, "featurestore:ReadOfflineStore", group.name);
  const [metadata, encryption, views] = await Promise.all([listFeatureMetadata(store.db, group), encryptionView(store, group), shardViews(store, c.env, group, mayReadOffline)]);
  const { writes, offline } = views;
  const saved = SAVED[c.req.query("saved") ?? ""];
  return page(
    c,
    group.name,
    <>
      <p>
        <a href="/ui/feature-groups">Feature groups</a> /
      </p>
      <h1>{group.name}</h1>
      {saved ? (
        <p class="notice ok" role="status">
          {saved}
        </p>
      ) : null}
      <p>{group.description ?? <span class="muted">No description.</span>}</p>
      <p class="muted">
        Status {group.status} · created {isoTime(group.createdAt)} · changed {isoTime(group.updatedAt)} · {group.features.length} features
      </p>
      <DescriptionForm c={c} group={group} viewer={viewer} />
      <Tags c={c} group={group} viewer={viewer} />
      <Schema c={c} group={group} metadata={metadata} viewer={viewer} />
      <Overview group={group} arn={arnOf(c, group.name)} encryption={encryption} writes={writes} now={store.now} />
      <RecordLookup group={group} />
      {!group.offlineStore.enabled ? (
        <p class="muted">This group has no offline store: no history, statistics or write volume.</p>
      ) : offline ? (
        <>
          <Freshness view={offline} />
          <Volume view={offline} />
          <Statistics view={offline} group={group} />
          <Distributions view={offline} />
        </>
      ) : (
        <NotAllowed action="featurestore:ReadOfflineStore" what="see its freshness, write volume and statistics" />
      )}
    </>,
  );
});
