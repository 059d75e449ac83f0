import { createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { readJsonFile } from "./files.mjs";

const FORMAT_OF_EXTENSION = { ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson", ".csv": "csv", ".parquet": "parquet", ".arrow": "arrow" };

export const datasetCommands = {
  build: {
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
      const extension = /\.[a-z]+$/i.exec(o.out)?.[0]?.toLowerCase();
      const format = o.format ?? request.format ?? FORMAT_OF_EXTENSION[extension] ?? "json";
      const res = await ctx.api.request("POST", "/datasets", { json: { ...request, format }, raw: true, idempotent: true });
      const partial = `${o.out}.partial`;
      await pipeline(Readable.fromWeb(res.body), createWriteStream(partial));
      await rename(partial, o.out);
      ctx.stderr.write(`wrote ${o.out} (${format})\n`);
    },
  },
};
