/** Envelope encryption of stored values and offline objects: what transports need of it. */
export { dataKeyLookup, externalReadNotes, offlineReadOptions } from "./offline-objects";
export { fromBase64Url, toBase64Url } from "./base64url";
