// The 20-feature group the offline and ingest benchmarks write: an identifier,
// an ISO event time, and 6 Integral, 8 Fractional and 4 String features.
export const FEATURES = [
  { name: "id", type: "String" },
  { name: "ts", type: "String" },
  ...Array.from({ length: 6 }, (_, i) => ({ name: `n${i}`, type: "Integral" })),
  ...Array.from({ length: 8 }, (_, i) => ({ name: `x${i}`, type: "Fractional" })),
  ...Array.from({ length: 4 }, (_, i) => ({ name: `s${i}`, type: "String" })),
];

/** The create-group body for a name: offline store on, 16 shards. */
export const groupBody = (name) => ({ name, recordIdentifierFeature: "id", eventTimeFeature: "ts", features: FEATURES, offlineStore: { enabled: true }, shardCount: 16 });

/** Record i with the given event time; values vary with i. */
export function record(i, ts) {
  const r = { id: `r${i}`, ts };
  for (let k = 0; k < 6; k++) r[`n${k}`] = i * 7 + k;
  for (let k = 0; k < 8; k++) r[`x${k}`] = Math.sin(i + k);
  for (let k = 0; k < 4; k++) r[`s${k}`] = `value-${i % 97}-${k}`;
  return r;
}
