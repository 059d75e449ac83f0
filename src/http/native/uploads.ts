import { z } from "zod";
import { fail, FailureError, invalid, orThrow } from "../../failure";
import { MAX_UPLOAD_BYTES } from "../../records";
import { UPLOAD_NAME, UPLOAD_NAME_RULE, uploadKey } from "../../datasets";
import { RouteGroup } from "../route";
import { named, pathParam } from "./schemas/common";

/**
 * PUT /v1/uploads/{name}: an entity list (CSV or Parquet) for dataset
 * requests, streamed into the offline bucket under uploads/ without being
 * held in memory. Reference it as {"entities": {"object": "<name>"}}.
 * Uploads share one namespace, so an upload belongs to the key that made it:
 * another key (other than root) cannot replace it, which would silently
 * change the training data of whoever builds datasets from it.
 */
export const uploadRoutes = new RouteGroup("/uploads");


/** Object metadata naming the access key that uploaded it. */
const UPLOADED_BY = "uploaded-by";


uploadRoutes.add(
  {
    method: "put",
    path: "/:name",
    operationId: "putEntityUpload",
    summary: "Upload an entity list (CSV or Parquet) for dataset requests",
    tag: "Datasets",
    action: "featurestore:PutEntityUpload",
    params: z.object({ name: pathParam(`The upload's name: ${UPLOAD_NAME_RULE}.`).regex(UPLOAD_NAME, UPLOAD_NAME_RULE) }),
    rawBody: { contentTypes: ["text/csv", "application/vnd.apache.parquet"], maxBytes: MAX_UPLOAD_BYTES, description: "The file, streamed to storage; Content-Length is required." },
    responses: [
      {
        status: 201,
        description: "Where the upload is; reference it as {\"entities\": {\"object\": \"<name>\"}}.",
        schema: named("Upload", z.object({ name: z.string(), key: z.string(), bytes: z.number().int(), etag: z.string(), uri: z.string() })),
      },
    ],
    example: { params: { name: "entities-2026-11.csv" } },
  },
  async (c, { params }) => {
    const name = params.name;
    const declared = c.req.header("content-length");
    if (declared === undefined || !/^\d+$/.test(declared)) orThrow(invalid("content-length", "is required: uploads stream to storage with a known size"));
    const size = Number(declared);
    if (size > MAX_UPLOAD_BYTES) throw new FailureError({ reason: "payload_too_large", field: "body", limitBytes: MAX_UPLOAD_BYTES });
    if (size === 0 || !c.req.raw.body) orThrow(invalid("body", "must not be empty"));
    const principal = c.get("principal");
    const existing = await c.env.OFFLINE_BUCKET.head(uploadKey(name));
    const owner = existing?.customMetadata?.[UPLOADED_BY];
    if (existing && !principal.root && owner !== principal.accessKeyId) {
      orThrow(fail({ reason: "conflict", detail: `upload ${name} belongs to another access key; choose another name` }));
    }
    // A FixedLengthStream gives R2 the size up front and fails the put if the body is shorter or longer.
    const stream = new FixedLengthStream(size);
    const piped = c.req.raw.body!.pipeTo(stream.writable);
    let object: R2Object | null;
    try {
      [object] = await Promise.all([c.env.OFFLINE_BUCKET.put(uploadKey(name), stream.readable, { customMetadata: { [UPLOADED_BY]: principal.accessKeyId } }), piped]);
    } catch {
      // The stream refused a body shorter or longer than declared; R2 kept nothing.
      return orThrow(invalid("content-length", `must equal the body's length (${size} declared)`));
    }
    if (!object) throw new Error("R2 put without onlyIf returned null");
    const bucket = c.env.OFFLINE_BUCKET_NAME ?? "feature-store-offline";
    return c.json({ name, key: uploadKey(name), bytes: object.size, etag: object.etag, uri: `s3://${bucket}/${uploadKey(name)}` }, 201);
  },
);
