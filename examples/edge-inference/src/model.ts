/**
 * A tiny churn model: logistic regression over four features of the
 * `users` feature group, trained offline (on a dataset from POST
 * /v1/datasets) and pasted here. Inference is a dot product and a sigmoid,
 * a few microseconds next to the feature read.
 */
export const MODEL = {
  version: "churn-lr-2026-11",
  featureGroup: "users",
  bias: -1.25,
  weights: {
    clicks_7d: -0.042,
    sessions_7d: -0.11,
    days_since_last_order: 0.035,
    support_tickets_30d: 0.4,
  },
} as const;

export type ModelFeature = keyof typeof MODEL.weights;
export const MODEL_FEATURES = Object.keys(MODEL.weights) as ModelFeature[];

/**
 * P(churn) for one entity's features. A missing feature counts as 0; an
 * Integral beyond 2^53 arrives as a decimal string and is converted to the
 * nearest double, which is all a linear model can use.
 */
export function churnProbability(features: Readonly<Record<string, unknown>>): number {
  let z: number = MODEL.bias;
  for (const name of MODEL_FEATURES) {
    const value = features[name];
    const x = typeof value === "number" ? value : typeof value === "string" ? Number(value) : 0;
    z += MODEL.weights[name] * (Number.isFinite(x) ? x : 0);
  }
  return 1 / (1 + Math.exp(-z));
}
