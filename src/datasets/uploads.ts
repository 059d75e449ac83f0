/**
 * Entity uploads (PUT /v1/uploads/{name}): where they live in the offline
 * bucket and how their names say their format. Uploads share one
 * namespace; the transport keeps each upload to the key that made it.
 */
export const UPLOAD_PREFIX = "uploads";
export const UPLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.(csv|parquet)$/;
export const UPLOAD_NAME_RULE = "must be 1-200 letters, digits, '.', '_' or '-' ending in .csv or .parquet";

export const uploadKey = (name: string) => `${UPLOAD_PREFIX}/${name}`;
export const formatOfName = (name: string): "csv" | "parquet" => (name.endsWith(".parquet") ? "parquet" : "csv");
