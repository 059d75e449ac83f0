/** Parity audits: every identifier's online record against the offline store's latest version (docs/time-travel.md). */
export * from "./model";
export { compareSides, differingFeatures } from "./compare";
export { PAGE_IDENTIFIERS } from "./page";
export { auditableGroup, beginAudit, paritySlice, type ParitySlice } from "./slice";
export { countsOf, examplesOf, findAudit, getAudit, listAudits, type AuditWithRun } from "./repository";
export type { ParityAuditRow } from "./schema";
