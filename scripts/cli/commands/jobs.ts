import { call } from "./passthrough";

/** /v1/jobs: thin pass-through; request and answer shapes are the jobs API's own. */
export const jobCommands = {
  create: call("create a job from a JSON definition", "jobs create --file job.json", "POST", () => "/jobs", { body: "required" }),
  list: call("list jobs", "jobs list [--limit n] [--after job-id] [--feature-group g]", "GET", () => "/jobs", { query: { limit: "page size", after: "continue after this job id (the previous page's nextAfter)", "feature-group": "only jobs of this feature group" } }),
  get: call("show one job", "jobs get <job-id>", "GET", (id) => `/jobs/${id}`),
  run: call("run a job now", "jobs run <job-id>", "POST", (id) => `/jobs/${id}/run`, { body: "empty" }),
  pause: call("pause a job's schedule", "jobs pause <job-id>", "POST", (id) => `/jobs/${id}/pause`, { body: "empty" }),
  resume: call("resume a paused job", "jobs resume <job-id>", "POST", (id) => `/jobs/${id}/resume`, { body: "empty" }),
  update: call("change a job (fields of --file replace the job's)", "jobs update <job-id> --file changes.json", "PATCH", (id) => `/jobs/${id}`, { body: "required" }),
  delete: call("delete a job", "jobs delete <job-id>", "DELETE", (id) => `/jobs/${id}`),
  runs: call("list a job's runs, newest first", "jobs runs <job-id> [--limit n]", "GET", (id) => `/jobs/${id}/runs`, { query: { limit: "page size" } }),
  "run-report": call("show one run with its per-file report", "jobs run-report <job-id> <run-id>", "GET", (id, runId) => `/jobs/${id}/runs/${runId}`),
};
