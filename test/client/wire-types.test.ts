import { describe, expectTypeOf, it } from "vitest";
import type * as Client from "../../clients/typescript/src";
import type { JobView } from "../../src/datasets/dataset-jobs";
import type { AsOfResult, VersionView } from "../../src/query/service";
import type * as Rpc from "../../src/rpc/types";
import type { BulkIngestResult } from "../../src/service/bulk-ingest";

/**
 * The client declares the native API's shapes itself (the server declares
 * them in modules a browser or Node build cannot load, see
 * clients/typescript/src/types.ts); these checks make `tsc -p .` fail when
 * the two drift apart. The `it` only gives the file a test to run.
 */
describe("the client's wire types", () => {
  it("are the server's own types", () => {
    expectTypeOf<Client.GetRecordOutput>().toEqualTypeOf<Rpc.GetRecordOutput>();
    expectTypeOf<Client.PutRecordOutput>().toEqualTypeOf<Rpc.PutRecordOutput>();
    expectTypeOf<Client.DeleteRecordOutput>().toEqualTypeOf<Rpc.DeleteRecordOutput>();
    // Assignable both ways (the server's optional description comes from a conditional spread).
    expectTypeOf<Client.FeatureGroupView>().toExtend<Rpc.DescribeFeatureGroupOutput>();
    expectTypeOf<Rpc.DescribeFeatureGroupOutput>().toExtend<Client.FeatureGroupView>();
    expectTypeOf<Client.FeatureRecord>().toEqualTypeOf<Rpc.FeatureRecord>();
    expectTypeOf<Client.InputValue>().toEqualTypeOf<Rpc.InputValue>();
    expectTypeOf<Client.RecordIdentifierInput>().toEqualTypeOf<Rpc.RecordIdentifierInput>();
    // The RPC's batch errors never carry invalid_rows (a bulk-only code); the client takes every native code.
    expectTypeOf<Rpc.BatchGetRecordOutput>().toExtend<Client.BatchGetRecordOutput>();
    expectTypeOf<Omit<Client.BatchGetRecordOutput, "errors">>().toEqualTypeOf<Omit<Rpc.BatchGetRecordOutput, "errors">>();
    expectTypeOf<Client.BatchGetRecordInput>().toExtend<Rpc.BatchGetRecordInput>();
    expectTypeOf<Client.VersionView>().toEqualTypeOf<VersionView>();
    expectTypeOf<Client.AsOfPage>().toEqualTypeOf<AsOfResult>();
    expectTypeOf<Omit<Client.DatasetJob, "result">>().toEqualTypeOf<Omit<JobView, "result">>();
    expectTypeOf<NonNullable<JobView["result"]>>().toEqualTypeOf<Omit<NonNullable<Client.DatasetJob["result"]>, "bucket" | "uri">>();
    expectTypeOf<Omit<Client.BulkIngestReport, "error">>().toEqualTypeOf<Omit<BulkIngestResult, "failure">>();
  });
});
