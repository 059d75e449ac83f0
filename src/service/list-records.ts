import { fail, ok, type Result } from "../failure";
import type { StoreContext } from "./context";
import { shardKeysOf } from "./keys";
import { fromShard, RETRY, shardStub, withServingGroup, type Attempt } from "./shards";

export interface ListRecordsRequest {
  featureGroup: string;
  limit: number;
  nextToken?: string;
  nextTokenField: string;
  includeSoftDeleted: boolean;
}

interface ListCursor {
  generation: string;
  shard: number;
  after: string | null;
}

function encodeCursor(cursor: ListCursor): string {
  return btoa(encodeURIComponent(JSON.stringify([cursor.generation, cursor.shard, cursor.after])));
}

function decodeCursor(token: string, field: string): Result<ListCursor> {
  try {
    const [generation, shard, after] = JSON.parse(decodeURIComponent(atob(token))) as unknown[];
    // The shard index becomes part of a Durable Object name: only a
    // non-negative integer may pass (the caller also bounds it by the shard count).
    if (typeof generation === "string" && Number.isSafeInteger(shard) && (shard as number) >= 0 && (after === null || typeof after === "string")) {
      return ok({ generation, shard: shard as number, after });
    }
  } catch {
    // fall through to the one error below
  }
  return fail({ reason: "invalid_field", field, rule: "must be a token returned by a previous page" });
}

/**
 * Lists record identifiers shard by shard in identifier order. The token
 * names the generation, so a page never continues into a re-created group.
 */
export function listRecords(ctx: StoreContext, req: ListRecordsRequest): Promise<Result<{ recordIdentifiers: string[]; nextToken?: string }>> {
  return withServingGroup(ctx, req.featureGroup, async (serving): Promise<Attempt<{ recordIdentifiers: string[]; nextToken?: string }>> => {
    const { group } = serving;
    let cursor: ListCursor = { generation: group.generation, shard: 0, after: null };
    if (req.nextToken !== undefined) {
      const decoded = decodeCursor(req.nextToken, req.nextTokenField);
      if (!decoded.ok) return decoded;
      if (decoded.value.generation !== group.generation || decoded.value.shard >= group.shardCount) {
        return fail({ reason: "invalid_field", field: req.nextTokenField, rule: "belongs to another feature group or incarnation" });
      }
      cursor = decoded.value;
    }
    const found: string[] = [];
    while (cursor.shard < group.shardCount && found.length < req.limit) {
      const want = req.limit - found.length;
      const reply = fromShard(
        await shardStub(ctx, group.generation, cursor.shard).list({
          catalogVersion: group.catalogVersion,
        ...shardKeysOf(serving),
          after: cursor.after,
          limit: want,
          includeSoftDeleted: req.includeSoftDeleted,
        }),
      );
      if (reply === RETRY) return RETRY;
      found.push(...reply.recordIdentifiers);
      cursor = reply.recordIdentifiers.length < want ? { ...cursor, shard: cursor.shard + 1, after: null } : { ...cursor, after: found.at(-1) ?? null };
    }
    const more = cursor.shard < group.shardCount;
    return ok({ recordIdentifiers: found, ...(more ? { nextToken: encodeCursor(cursor) } : {}) });
  });
}
