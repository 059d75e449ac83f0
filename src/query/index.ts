/** Reads of the offline store that the API worker runs itself (the rest runs in the query worker, worker.ts): footer statistics and sampled histograms, and the shapes of as-of answers. */
export { summarizeFooters, type FooterSummary } from "./column-stats";
export { sampleHistograms, type SampleHistograms } from "./sample-histogram";
export type { VersionView } from "./service";
