import { WorkerEntrypoint } from "cloudflare:workers";
import { catalogDb } from "../catalog";
import type { Secrets } from "../env";
import type { Result } from "../failure";
import { dataKeyLookup } from "../crypto/offline-objects";
import { asOfQuery, type QueryDeps, historyQuery, type AsOfQuery, type AsOfResult, type HistoryQuery, type VersionView } from "./service";
import { abandonJob, buildDataset, createJob, resumeStalledJob, resumeStalledJobs, runJobMessage, type DatasetQuery, type DatasetResult, type JobMessage, type JobSpec, type JobView } from "../datasets";
import type { ReadStats } from "./offline-reader";

/**
 * The query worker's bindings: WranglerQueryEnv is generated from
 * wrangler.query.toml (src/query/worker-configuration.d.ts, `npm run types`).
 * Added here only what a config cannot say: the master keyring secret (it
 * unwraps the SSE-C keys of encrypted offline stores), and the dataset jobs
 * queue's message type (each message runs a job for a while, then sends the
 * next, datasets/dataset-jobs.ts).
 */
export interface QueryEnv extends WranglerQueryEnv, Pick<Secrets, "FS_MASTER_KEYS"> {
  DATASET_JOBS: Queue<JobMessage>;
}

/**
 * The time-travel query worker: a separate Worker (wrangler.query.toml) so
 * heavy offline reads never share isolates with online serving. The API
 * worker reaches it through the QUERY service binding (RPC) after
 * authenticating and validating the request; it has no public routes.
 */
export class QueryService extends WorkerEntrypoint<QueryEnv> {
  #deps(): QueryDeps {
    const db = catalogDb(this.env.DB);
    return { db, bucket: this.env.OFFLINE_BUCKET, keys: dataKeyLookup(db, this.env) };
  }

  async asOf(query: AsOfQuery): Promise<Result<AsOfResult>> {
    return asOfQuery(this.#deps(), query);
  }

  async dataset(query: DatasetQuery, entityColumns: string[]): Promise<Result<DatasetResult>> {
    return buildDataset(this.#deps(), query, entityColumns);
  }

  /** Records an asynchronous dataset job (validated by the API worker) and queues its first step. */
  async createDatasetJob(spec: JobSpec): Promise<JobView> {
    return createJob({ ...this.#deps(), queue: this.env.DATASET_JOBS }, spec);
  }

  /** Sends a stalled dataset job's messages again (see resumeStalledJob); whether it did. */
  async resumeDatasetJob(id: string): Promise<boolean> {
    return resumeStalledJob({ ...this.#deps(), queue: this.env.DATASET_JOBS }, id);
  }

  /** Resumes every stalled dataset job (the API worker's cron calls it each minute); how many. */
  async resumeStalledDatasetJobs(): Promise<number> {
    return resumeStalledJobs({ ...this.#deps(), queue: this.env.DATASET_JOBS });
  }

  async history(query: HistoryQuery): Promise<Result<{ versions: VersionView[]; stats: ReadStats }>> {
    return historyQuery(this.#deps(), query);
  }
}

/** The dataset jobs' dead-letter queue ends so (wrangler.query.toml). */
const DEAD_LETTER_SUFFIX = "-dlq";

export default {
  fetch: () => new Response("the query worker is reached through the API worker's service binding", { status: 404 }),
  async queue(batch, env) {
    const db = catalogDb(env.DB);
    if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) {
      for (const message of batch.messages) await abandonJob({ db, bucket: env.OFFLINE_BUCKET }, message.body.jobId);
      return;
    }
    const deps = { db, bucket: env.OFFLINE_BUCKET, keys: dataKeyLookup(db, env), queue: env.DATASET_JOBS };
    // A batch's messages are chunks of jobs: they run side by side (wrangler.query.toml keeps batches at one message in production, see docs/time-travel.md).
    await Promise.all(
      batch.messages.map(async (message) => {
        try {
          await runJobMessage(deps, message.body);
          message.ack();
        } catch (error) {
          // Delivered again (up to max_retries, then the dead-letter queue); the others in the batch stay acknowledged.
          console.error("dataset job message failed; the queue will deliver it again", { jobId: message.body.jobId, chunk: message.body.chunk, attempts: message.attempts, error: String(error) });
          message.retry();
        }
      }),
    );
  },
} satisfies ExportedHandler<QueryEnv, JobMessage>;
