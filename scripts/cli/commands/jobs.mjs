import { call } from "./passthrough.mjs";

/** /v1/jobs: thin pass-through; request and answer shapes are the jobs API's own. */
export const jobCommands = {
  create: call("create a job from a JSON definition", "jobs create --file job.json", "POST", () => "/jobs", { body: "required" }),
  list: call("list jobs", "jobs list [--limit n] [--next-token t]", "GET", () => "/jobs", { query: { limit: "page size", "next-token": "continue a previous page" } }),
  get: call("show one job", "jobs get <job-id>", "GET", (id) => `/jobs/${id}`),
  run: call("run a job now", "jobs run <job-id>", "POST", (id) => `/jobs/${id}/run`, { body: "empty" }),
  pause: call("pause a job's schedule", "jobs pause <job-id>", "POST", (id) => `/jobs/${id}/pause`, { body: "empty" }),
  resume: call("resume a paused job", "jobs resume <job-id>", "POST", (id) => `/jobs/${id}/resume`, { body: "empty" }),
  runs: call("list a job's runs", "jobs runs <job-id> [--limit n] [--next-token t]", "GET", (id) => `/jobs/${id}/runs`, { query: { limit: "page size", "next-token": "continue a previous page" } }),
};
