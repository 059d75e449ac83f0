import { WorkerEntrypoint } from "cloudflare:workers";
import { catalogDb } from "../catalog";
import type { Result } from "../failure";
import { asOfQuery, historyQuery, type AsOfQuery, type AsOfResult, type HistoryQuery, type VersionView } from "./service";
import { buildDataset, type DatasetQuery, type DatasetResult } from "./dataset";
import type { ReadStats } from "./offline-reader";
import { createJob, runJobStep, type JobMessage, type JobSpec, type JobView } from "./jobs";

/**
 * The time-travel query worker: a separate Worker (wrangler.query.toml) so
 * heavy offline reads never share isolates with online serving. The API
 * worker reaches it through the QUERY service binding (RPC) after
 * authenticating and validating the request; it has no public routes.
 */
export interface QueryEnv {
  DB: D1Database;
  OFFLINE_BUCKET: R2Bucket;
  /** Dataset jobs: each message runs a job for a while, then sends the next (jobs.ts). */
  DATASET_JOBS: Queue<JobMessage>;
}

export class QueryService extends WorkerEntrypoint<QueryEnv> {
  async asOf(query: AsOfQuery): Promise<Result<AsOfResult>> {
    return asOfQuery({ db: catalogDb(this.env.DB), bucket: this.env.OFFLINE_BUCKET }, query);
  }

  async dataset(query: DatasetQuery, entityColumns: string[]): Promise<Result<DatasetResult>> {
    return buildDataset({ db: catalogDb(this.env.DB), bucket: this.env.OFFLINE_BUCKET }, query, entityColumns);
  }

  /** Records an asynchronous dataset job (validated by the API worker) and queues its first step. */
  async createDatasetJob(spec: JobSpec): Promise<JobView> {
    return createJob({ db: catalogDb(this.env.DB), bucket: this.env.OFFLINE_BUCKET, queue: this.env.DATASET_JOBS }, spec);
  }

  async history(query: HistoryQuery): Promise<Result<{ versions: VersionView[]; stats: ReadStats }>> {
    return historyQuery({ db: catalogDb(this.env.DB), bucket: this.env.OFFLINE_BUCKET }, query);
  }
}

export default {
  fetch: () => new Response("the query worker is reached through the API worker's service binding", { status: 404 }),
  async queue(batch, env) {
    const deps = { db: catalogDb(env.DB), bucket: env.OFFLINE_BUCKET, queue: env.DATASET_JOBS };
    for (const message of batch.messages) {
      await runJobStep(deps, message.body.jobId);
      message.ack();
    }
  },
} satisfies ExportedHandler<QueryEnv, JobMessage>;
