// The benchmark's feature group and records: 50 features (identifier, event
// time, 16 String, 16 Integral, 15 Fractional, one Fractional Vector), sized
// so one record's JSON is about 15 KB, like a user profile with an embedding.

export const GROUP = "bench_users";
const STRINGS = 16;
const INTEGRALS = 16;
const FRACTIONALS = 15;
const STRING_CHARS = 100;
const EMBEDDING_DIMENSION = 640;

const pad = (i) => String(i).padStart(2, "0");

export function featureGroupBody() {
  const features = [
    { name: "user_id", type: "String" },
    { name: "event_time", type: "String" },
    ...Array.from({ length: STRINGS }, (_, i) => ({ name: `s_${pad(i)}`, type: "String" })),
    ...Array.from({ length: INTEGRALS }, (_, i) => ({ name: `i_${pad(i)}`, type: "Integral" })),
    ...Array.from({ length: FRACTIONALS }, (_, i) => ({ name: `f_${pad(i)}`, type: "Fractional" })),
    { name: "embedding", type: "Fractional", collection: { type: "Vector", dimension: EMBEDDING_DIMENSION } },
  ];
  // shardCount is left out on purpose: the default (16) is what is measured.
  return { name: GROUP, recordIdentifierFeature: "user_id", eventTimeFeature: "event_time", features, onlineStore: { enabled: true } };
}

/** A small deterministic PRNG, so every run writes the same bytes. */
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const recordId = (n) => `user-${String(n).padStart(8, "0")}`;

/**
 * Returns putBody(n): the PUT body for record n. The record is rendered once
 * with a placeholder identifier and then spliced per request: building 15 KB
 * of JSON per put would spend client CPU that workerd needs on this 2-core
 * machine. Values are realistic (full-precision doubles, long strings) but
 * the same for every record; the store neither compresses nor dedupes, so
 * that does not flatter it.
 */
export function recordTemplate() {
  const random = mulberry32(42);
  const record = { user_id: "@@ID@@", event_time: "2026-11-25T08:00:00.000Z" };
  const text = (n) => Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyz0123456789 "[Math.floor(random() * 37)]).join("");
  for (let i = 0; i < STRINGS; i++) record[`s_${pad(i)}`] = text(STRING_CHARS);
  for (let i = 0; i < INTEGRALS; i++) record[`i_${pad(i)}`] = Math.floor(random() * 2 ** 40);
  for (let i = 0; i < FRACTIONALS; i++) record[`f_${pad(i)}`] = random() * 1000 - 500;
  record.embedding = Array.from({ length: EMBEDDING_DIMENSION }, () => random() * 2 - 1);
  const [before, after] = JSON.stringify({ record }).split("@@ID@@");
  const recordBytes = Buffer.byteLength(JSON.stringify({ ...record, user_id: recordId(0) }));
  return { recordBytes, featureCount: Object.keys(record).length, putBody: (n) => before + recordId(n) + after };
}
