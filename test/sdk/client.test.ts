// The TypeScript client as a Node application gets it: the bundle
// `npm run build:client` writes, imported by its package export
// (`edge-feature-store/client`) in a plain Node process that talks to the
// sdk project's worker over loopback HTTP with Node's own fetch.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ENDPOINT, SDK_ACCESS_KEY_ID, SDK_SECRET_ACCESS_KEY, uniqueName } from "./support";

const ROOT = resolve(import.meta.dirname, "../..");

/** What the Node program does with the client; it prints one JSON document. */
const PROGRAM = `
import { FeatureStoreClient, FeatureGroupNotFoundError } from "edge-feature-store/client";
const { FS_ENDPOINT: endpoint, FS_ACCESS_KEY_ID: accessKeyId, FS_SECRET_ACCESS_KEY: secretAccessKey, GROUP: name } = process.env;
const client = new FeatureStoreClient({ endpoint, accessKeyId, secretAccessKey, coalesce: true });
await client.createFeatureGroup({ name, recordIdentifierFeature: "id", eventTimeFeature: "ts", features: [{ name: "id", type: "String" }, { name: "ts", type: "String" }, { name: "n", type: "Integral" }] });
await client.putRecord(name, { id: "a", ts: "2026-01-01T00:00:00Z", n: 9007199254740993n });
await client.putRecord(name, { id: "b", ts: "2026-01-01T00:00:00Z", n: 2 });
const reads = await Promise.all(["a", "b", "c"].map((id) => client.getRecord(name, id)));
const missing = await client.describeFeatureGroup("no-such-group-" + name).catch((error) => error);
await client.deleteFeatureGroup(name);
console.log(JSON.stringify({ reads, coalescing: client.coalescing, missing: { notFound: missing instanceof FeatureGroupNotFoundError, code: missing.code, status: missing.status } }));
`;

describe("TypeScript client in Node", () => {
  it("is importable as edge-feature-store/client and reads and writes over HTTP, coalescing a tick's reads", () => {
    const built = spawnSync(process.execPath, [resolve(ROOT, "scripts/build-client.mjs")], { cwd: ROOT, encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    const env = { PATH: process.env.PATH, FS_ENDPOINT: ENDPOINT, FS_ACCESS_KEY_ID: SDK_ACCESS_KEY_ID, FS_SECRET_ACCESS_KEY: SDK_SECRET_ACCESS_KEY, GROUP: uniqueName("ts-client") };
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", PROGRAM], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      reads: [{ record: { id: "a", ts: "2026-01-01T00:00:00Z", n: "9007199254740993" }, ageMs: 0 }, { record: { id: "b", ts: "2026-01-01T00:00:00Z", n: 2 }, ageMs: 0 }, null],
      coalescing: { batchCalls: 1, singleCalls: 0 },
      missing: { notFound: true, code: "feature_group_not_found", status: 404 },
    });
  }, 90_000);
});
