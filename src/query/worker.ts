import { WorkerEntrypoint } from "cloudflare:workers";
import { catalogDb } from "../catalog";
import type { Result } from "../failure";
import { asOfQuery, historyQuery, type AsOfQuery, type AsOfResult, type HistoryQuery, type VersionView } from "./service";
import { buildDataset, type DatasetQuery, type DatasetResult } from "./dataset";
import type { ReadStats } from "./offline-reader";

/**
 * The time-travel query worker: a separate Worker (wrangler.query.toml) so
 * heavy offline reads never share isolates with online serving. The API
 * worker reaches it through the QUERY service binding (RPC) after
 * authenticating and validating the request; it has no public routes.
 */
export interface QueryEnv {
  DB: D1Database;
  OFFLINE_BUCKET: R2Bucket;
}

export class QueryService extends WorkerEntrypoint<QueryEnv> {
  async asOf(query: AsOfQuery): Promise<Result<AsOfResult>> {
    return asOfQuery({ db: catalogDb(this.env.DB), bucket: this.env.OFFLINE_BUCKET }, query);
  }

  async dataset(query: DatasetQuery, entityColumns: string[]): Promise<Result<DatasetResult>> {
    return buildDataset({ db: catalogDb(this.env.DB), bucket: this.env.OFFLINE_BUCKET }, query, entityColumns);
  }

  async history(query: HistoryQuery): Promise<Result<{ versions: VersionView[]; stats: ReadStats }>> {
    return historyQuery({ db: catalogDb(this.env.DB), bucket: this.env.OFFLINE_BUCKET }, query);
  }
}

export default {
  fetch: () => new Response("the query worker is reached through the API worker's service binding", { status: 404 }),
} satisfies ExportedHandler<QueryEnv>;
