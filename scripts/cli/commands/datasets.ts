import { createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { pipeline } from "node:stream/promises";
import { defineCommand } from "../command";
import { readJsonFile } from "./files";
import { usage } from "../errors";

const FORMAT_OF_EXTENSION: Readonly<Record<string, string>> = { ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson", ".csv": "csv", ".parquet": "parquet", ".arrow": "arrow" };

export const datasetCommands = {
  build: defineCommand({
    summary: "build a point-in-time-correct dataset (POST /v1/datasets) into a file",
    usage: "dataset build --file request.json --out dataset.parquet [--format parquet]",
    description: "The format is --format, else the request's own \"format\", else the --out extension (.parquet, .csv, .ndjson, .arrow, .json).\nThe file appears only once the whole response has arrived.",
    options: {
      file: { type: "string", required: true, help: "the request body: entities, timestampColumn, featureGroups, ..." },
      out: { type: "string", required: true, help: "where to write the dataset" },
      format: { type: "string", choices: ["json", "ndjson", "csv", "parquet", "arrow"], help: "output format" },
    },
    run: async (ctx, o) => {
      const request = readJsonFile(o.file);
      // The request is the API's to check, except that it must be an object to take a format.
      if (typeof request !== "object" || request === null || Array.isArray(request)) throw usage(`${o.file} must hold a JSON object (the request body)`);
      const extension = /\.[a-z]+$/i.exec(o.out)?.[0]?.toLowerCase();
      const own = "format" in request ? request.format : undefined;
      const format = o.format ?? own ?? (extension ? FORMAT_OF_EXTENSION[extension] : undefined) ?? "json";
      const res = await ctx.api.response("POST", "/datasets", { json: { ...request, format }, idempotent: true });
      const partial = `${o.out}.partial`;
      // A successful dataset answer always has a body; fetch's web stream type and node:stream/web's differ only nominally.
      await pipeline(Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>), createWriteStream(partial));
      await rename(partial, o.out);
      ctx.stderr.write(`wrote ${o.out} (${format})\n`);
    },
  }),
};
