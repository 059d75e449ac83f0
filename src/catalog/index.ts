export * from "./model";
export * from "./input";
export * from "./repository";
export * from "./cache";
export * from "./tags";
export { compareForSort, matchesSearch, parseSearchExpression, type SearchDocument, type SearchExpression, type SearchFilter } from "./search";
