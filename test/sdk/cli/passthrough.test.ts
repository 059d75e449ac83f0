// The jobs and access-keys commands are thin pass-throughs to APIs built
// elsewhere: checked here against a recording HTTP server on loopback, for
// the method, path, body and credential each command sends, and that the
// answer is printed as it came.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../engines/engines";
import { SDK_ACCESS_KEY_ID, SDK_SECRET_ACCESS_KEY } from "../support";
import { cliEnv, runCli } from "./run-cli";

interface Recorded {
  method: string;
  url: string;
  authorization: string;
  body: string;
}

let server: Server;
let origin: string;
let recorded: Recorded[] = [];
let work: { path: string; remove: () => void };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk) => (body += String(chunk)));
    req.on("end", () => resolve(body));
  });
}

beforeAll(async () => {
  work = tempDir("fs-cli-pass-");
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    recorded.push({ method: req.method ?? "", url: req.url ?? "", authorization: String(req.headers.authorization ?? ""), body });
    if (req.url?.includes("missing")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "resource_not_found", message: "job missing was not found" } }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ echo: { method: req.method, url: req.url } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(() => {
  server?.close();
  work?.remove();
});

const cli = (...args: string[]) => runCli(args, { cwd: work.path, env: cliEnv({ FS_ENDPOINT: origin }) });

describe("fs jobs and access-keys", () => {
  it("send each command to its route with the credential, and print the answer as it came", async () => {
    const jobFile = join(work.path, "job.json");
    writeFileSync(jobFile, JSON.stringify({ name: "nightly", schedule: "0 3 * * *" }));
    const cases: [string[], string, string, string][] = [
      [["jobs", "create", "--file", jobFile], "POST", "/v1/jobs", JSON.stringify({ name: "nightly", schedule: "0 3 * * *" })],
      [["jobs", "list", "--limit", "5"], "GET", "/v1/jobs?limit=5", ""],
      [["jobs", "get", "job 1"], "GET", "/v1/jobs/job%201", ""],
      [["jobs", "run", "j1"], "POST", "/v1/jobs/j1/run", "{}"],
      [["jobs", "pause", "j1"], "POST", "/v1/jobs/j1/pause", "{}"],
      [["jobs", "resume", "j1"], "POST", "/v1/jobs/j1/resume", "{}"],
      [["jobs", "runs", "j1", "--next-token", "t2"], "GET", "/v1/jobs/j1/runs?nextToken=t2", ""],
      [["access-keys", "create"], "POST", "/v1/admin/access-keys", "{}"],
      [["access-keys", "list"], "GET", "/v1/admin/access-keys", ""],
      [["access-keys", "rotate", "AK1"], "POST", "/v1/admin/access-keys/AK1/rotate", "{}"],
      [["access-keys", "revoke", "AK1"], "DELETE", "/v1/admin/access-keys/AK1", ""],
    ];
    for (const [args, method, url, body] of cases) {
      recorded = [];
      const res = await cli(...args);
      expect(res.code, `${args.join(" ")}: ${res.stderr}`).toBe(0);
      expect(recorded).toEqual([{ method, url, authorization: `Bearer ${SDK_ACCESS_KEY_ID}:${SDK_SECRET_ACCESS_KEY}`, body }]);
      expect(res.json).toEqual({ echo: { method, url } });
    }
  });

  it("exits 4 with the API's message when the job does not exist", async () => {
    const res = await cli("jobs", "get", "missing");
    expect(res.code).toBe(4);
    expect(res.stderr).toContain("resource_not_found: job missing was not found");
  });
});
