import type { Result } from "../../src/failure";
import type { Collection, FeatureDefinition, FeatureType, RecordSchema } from "../../src/records";

/** Builds a RecordSchema from a compact feature list. */
export function schemaOf(
  recordIdentifierFeature: string,
  eventTimeFeature: string,
  features: ReadonlyArray<readonly [name: string, type: FeatureType, collection?: Collection]>,
  featureGroup = "customers",
): RecordSchema {
  const map = new Map<string, FeatureDefinition>();
  for (const [name, type, collection] of features) map.set(name, collection ? { name, type, collection } : { name, type });
  return { featureGroup, recordIdentifierFeature, eventTimeFeature, features: map };
}

/** Returns the value of a successful Result, failing the test with the failure otherwise. */
export function valueOf<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.failure)}`);
  return result.value;
}

/** Returns the failure of a Result, failing the test if it succeeded. */
export function failureOf<T>(result: Result<T>) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.failure;
}

/** Returns the failure of a Result, which must be an invalid_field failure. */
export function invalidOf<T>(result: Result<T>): { field: string; rule: string } {
  const failure = failureOf(result);
  if (failure.reason !== "invalid_field") throw new Error(`expected invalid_field, got ${JSON.stringify(failure)}`);
  return failure;
}

/** Deterministic PRNG (mulberry32) so property-style tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
