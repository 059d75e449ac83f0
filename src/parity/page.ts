import type { FeatureGroup, ServingGroup } from "../catalog";
import type { Env } from "../env";
import { ok, type Result } from "../failure";
import { shardIndexOf, type ParityEntry, type ParitySelection } from "../online";
import type { VersionView } from "../query/service";
import { compareIdentifiers, type FeatureValue } from "../records";
import { fromShard, RETRY, shardKeysOf, shardStub, type Attempt, type StoreContext } from "../service";
import { changedBetween, compareSides, exampleOf, type Comparison } from "./compare";
import { emptyCounts, type OfflineSide, type OnlineSide, type ParityCounts, type ParityExample, type Verdict } from "./model";

/**
 * One page of a parity audit: the identifiers after `cursor` up to a bound
 * the page chooses, compared side by side. Memory holds one page:
 *
 * 1. The offline side first: the query worker's as-of snapshot "now",
 *    deletions included, for at most PAGE_IDENTIFIERS identifiers after the
 *    cursor (the same code, and so the same version order, as the as-of
 *    route and training sets). Its last identifier bounds the page.
 * 2. Then every shard, for its identifiers in (cursor, bound]: at most
 *    `perShard` each; a shard that fills its page lowers the bound to its
 *    last identifier, so the page stays complete on both sides.
 * 3. An identifier that differs is looked at once more (offline, then
 *    online): a write that landed between the two reads of step 1 and 2
 *    (bulk ingest writes its offline files before the shards) shows up as
 *    matching, or as changed, on the second look and is not counted.
 *
 * The offline side is read before the online side so that a write during
 * the page is, on the online side, either still in the shard's outbox or
 * newer than what the offline read saw: both end as pending, not as a
 * difference.
 */
export const PAGE_IDENTIFIERS = 1_000;
/** Identifiers are spread over shards by hash; twice the even share leaves room for unevenness before a shard bounds the page. */
const MIN_SHARD_PAGE = 20;

export type PageEnv = Pick<Env, "QUERY">;

export interface PageResult {
  /** Identifiers compared. */
  identifiers: number;
  counts: ParityCounts;
  /** Examples of what did not match, at most `room` of each verdict. */
  examples: ParityExample[];
  /** The last identifier of the page; null when no identifier follows it. */
  cursor: string | null;
}

interface Sides {
  online?: OnlineSide;
  offline?: OfflineSide;
}

function onlineSide(entry: ParityEntry): OnlineSide {
  return {
    state: entry.state,
    ...(entry.body !== null ? { record: JSON.parse(entry.body) as Record<string, FeatureValue> } : {}),
    ...(entry.eventKey !== null ? { eventKey: entry.eventKey } : {}),
    ...(entry.writeSequence !== null ? { writeSequence: entry.writeSequence } : {}),
    outboxPending: entry.pending,
  };
}

const offlineSide = (view: VersionView): OfflineSide => ({ isDeleted: view.isDeleted, record: view.record, writeSequence: view.writeSequence, writeTime: view.writeTime });

async function readOffline(env: PageEnv, group: FeatureGroup, select: { after: string | null; limit: number } | { recordIdentifiers: string[] }): Promise<Result<{ sides: Map<string, OfflineSide>; nextAfter?: string }>> {
  const snapshot = await env.QUERY.asOf({
    featureGroup: group.name,
    generation: group.generation,
    includeDeleted: true,
    ...("recordIdentifiers" in select
      ? { recordIdentifiers: select.recordIdentifiers, limit: select.recordIdentifiers.length }
      : { limit: select.limit, ...(select.after !== null ? { after: select.after } : {}) }),
  });
  if (!snapshot.ok) return snapshot;
  const sides = new Map(snapshot.value.records.map((v) => [v.recordIdentifier, offlineSide(v)]));
  return ok({ sides, ...(snapshot.value.nextAfter !== undefined ? { nextAfter: snapshot.value.nextAfter } : {}) });
}

/** Calls shards with their selections in parallel; RETRY when one says the cached definition is stale. */
async function readShards(ctx: StoreContext, serving: ServingGroup, selections: Map<number, ParitySelection>): Promise<Attempt<ParityEntry[][]>> {
  const { group } = serving;
  const replies = await Promise.all(
    [...selections].map(async ([index, select]) => fromShard(await shardStub(ctx, group.generation, index).parityPage({ catalogVersion: group.catalogVersion, ...shardKeysOf(serving), select }))),
  );
  const pages: ParityEntry[][] = [];
  for (const reply of replies) {
    if (reply === RETRY) return RETRY;
    pages.push(reply.entries);
  }
  return ok(pages);
}

/** The second look at identifiers that differed: offline, then online, as in the first. */
async function lookAgain(env: PageEnv, ctx: StoreContext, serving: ServingGroup, ids: string[]): Promise<Attempt<Map<string, Sides>>> {
  const { group } = serving;
  const offline = await readOffline(env, group, { recordIdentifiers: ids });
  if (!offline.ok) return offline;
  const byShard = new Map<number, ParitySelection>();
  for (const id of ids) {
    const index = shardIndexOf(id, group.shardCount);
    const select = byShard.get(index);
    if (select && "recordIdentifiers" in select) select.recordIdentifiers.push(id);
    else byShard.set(index, { recordIdentifiers: [id] });
  }
  const pages = await readShards(ctx, serving, byShard);
  if (pages === RETRY || !pages.ok) return pages;
  const sides = new Map<string, Sides>(ids.map((id) => [id, { ...(offline.value.sides.has(id) ? { offline: offline.value.sides.get(id)! } : {}) }]));
  for (const entry of pages.value.flat()) sides.get(entry.recordIdentifier)!.online = onlineSide(entry);
  return ok(sides);
}

/** The verdict after the second look: a difference that went away, or whose sides moved, is not counted. */
function confirmed(first: Sides, second: Sides): Comparison {
  const again = compareSides(second.online, second.offline);
  if (again.verdict === "matching" || again.verdict === "pending") return again;
  return changedBetween(first, second) ? { verdict: "pending", pendingReason: "changed" } : again;
}

/** Audits the page after `cursor` (about `pageIdentifiers` identifiers). `room` says how many more examples of each verdict the audit keeps. */
export async function auditPage(env: PageEnv, ctx: StoreContext, serving: ServingGroup, cursor: string | null, room: Readonly<Record<Verdict, number>>, pageIdentifiers = PAGE_IDENTIFIERS): Promise<Attempt<PageResult>> {
  const { group } = serving;
  const offline = await readOffline(env, group, { after: cursor, limit: pageIdentifiers });
  if (!offline.ok) return offline;
  let bound = offline.value.nextAfter;
  const perShard = Math.max(Math.min(MIN_SHARD_PAGE, pageIdentifiers), Math.ceil((2 * pageIdentifiers) / group.shardCount));
  const all = new Map<number, ParitySelection>(Array.from({ length: group.shardCount }, (_, i) => [i, { after: cursor, atMost: bound ?? null, limit: perShard }]));
  const pages = await readShards(ctx, serving, all);
  if (pages === RETRY || !pages.ok) return pages;
  for (const entries of pages.value) {
    const last = entries.at(-1);
    if (entries.length === perShard && last && (bound === undefined || compareIdentifiers(last.recordIdentifier, bound) < 0)) bound = last.recordIdentifier;
  }
  const within = (id: string) => bound === undefined || compareIdentifiers(id, bound) <= 0;
  const sides = new Map<string, Sides>();
  for (const [id, side] of offline.value.sides) if (within(id)) sides.set(id, { offline: side });
  for (const entry of pages.value.flat()) {
    if (!within(entry.recordIdentifier)) continue;
    const known = sides.get(entry.recordIdentifier);
    if (known) known.online = onlineSide(entry);
    else sides.set(entry.recordIdentifier, { online: onlineSide(entry) });
  }

  const verdicts = new Map<string, Comparison>();
  for (const [id, s] of sides) verdicts.set(id, compareSides(s.online, s.offline));
  const suspects = [...verdicts].filter(([, c]) => c.verdict !== "matching" && c.verdict !== "pending").map(([id]) => id);
  const second = new Map<string, Sides>();
  if (suspects.length > 0) {
    const looked = await lookAgain(env, ctx, serving, suspects);
    if (looked === RETRY || !looked.ok) return looked;
    for (const [id, s] of looked.value) {
      second.set(id, s);
      verdicts.set(id, confirmed(sides.get(id)!, s));
    }
  }

  const counts = emptyCounts();
  const examples: ParityExample[] = [];
  const left = { ...room };
  for (const id of [...verdicts.keys()].sort(compareIdentifiers)) {
    const comparison = verdicts.get(id)!;
    counts[comparison.verdict] += 1;
    if (comparison.verdict === "matching" || left[comparison.verdict] <= 0) continue;
    left[comparison.verdict] -= 1;
    const s = second.get(id) ?? sides.get(id)!;
    examples.push(exampleOf(id, { ...comparison, verdict: comparison.verdict }, s.online, s.offline));
  }
  return ok({ identifiers: sides.size, counts, examples, cursor: bound ?? null });
}
