import { invalid, ok, type Result } from "../failure";

/**
 * The one JSON parser for client text. Byte limits bound a body's size but
 * not its shape: 2 MiB of `[` nests a million levels, and a body of commas
 * makes a million-item array. A linear pre-scan checks depth, items per
 * container and string length before JSON.parse builds anything, so every
 * route refuses hostile shapes the same way, with a 400 naming the rule.
 * The scan only counts; JSON.parse still decides whether the text is JSON.
 */

export interface JsonLimits {
  /** Arrays and objects nested inside each other, the outermost counting as 1. */
  maxDepth: number;
  /** Items of one array, or members of one object. */
  maxItems: number;
  /** Characters (UTF-16 code units, an escape counting as one) of one string or member name. */
  maxStringChars: number;
}

/** Room for every request shape we define (a feature group nests 4 levels, a dataset's entity values a few more). */
export const MAX_JSON_DEPTH = 32;
/** Dataset entity rows (100,000) are the longest array any route accepts. */
export const MAX_JSON_ITEMS = 100_000;
/** Above the String value limit (358,400 characters) with room for escaping. */
export const MAX_JSON_STRING_CHARS = 1024 * 1024;

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: MAX_JSON_DEPTH, maxItems: MAX_JSON_ITEMS, maxStringChars: MAX_JSON_STRING_CHARS };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const LETTER_U = 0x75;

/**
 * Whether the text is too small to break any limit: it cannot nest deeper
 * than it has `[` and `{` characters, hold more items than it has
 * characters, or a string longer than itself. Counting the two characters is a
 * native search, several times cheaper than the scan (bulk NDJSON parses a
 * line per row).
 */
function cannotBreak(text: string, limits: JsonLimits): boolean {
  if (text.length > limits.maxStringChars || text.length >= limits.maxItems) return false;
  let openers = 0;
  for (const opener of ["{", "["]) {
    for (let at = text.indexOf(opener); at >= 0; at = text.indexOf(opener, at + 1)) {
      if (++openers > limits.maxDepth) return false;
    }
  }
  return true;
}

/** The rule the text breaks, or null. Never throws, whatever the text. */
export function jsonShapeViolation(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): string | null {
  if (cannotBreak(text, limits)) return null;
  // Separators seen in each open container: items = separators + 1.
  const separators: number[] = [];
  let inString = false;
  let stringChars = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === QUOTE) {
        inString = false;
        continue;
      }
      if (c === BACKSLASH) i += text.charCodeAt(i + 1) === LETTER_U ? 5 : 1;
      stringChars += 1;
      if (stringChars > limits.maxStringChars) return `must not hold a string or name longer than ${limits.maxStringChars} characters`;
      continue;
    }
    switch (c) {
      case QUOTE:
        inString = true;
        stringChars = 0;
        break;
      case OPEN_ARRAY:
      case OPEN_OBJECT:
        separators.push(0);
        if (separators.length > limits.maxDepth) return `must not nest arrays and objects more than ${limits.maxDepth} levels deep`;
        break;
      case CLOSE_ARRAY:
      case CLOSE_OBJECT:
        separators.pop();
        break;
      case COMMA: {
        const top = separators.length - 1;
        if (top >= 0 && ++separators[top]! >= limits.maxItems) return `must not hold more than ${limits.maxItems} items in one array or object`;
        break;
      }
    }
  }
  return null;
}

/**
 * Parses client JSON under the shape limits. `field` names the text in the
 * failure ("body", "body line 3").
 */
export function parseJson(text: string, field: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): Result<unknown> {
  if (text.trim() === "") return invalid(field, "must be a JSON document (it is empty)");
  const violation = jsonShapeViolation(text, limits);
  if (violation !== null) return invalid(field, violation);
  try {
    return ok(JSON.parse(text));
  } catch (error) {
    return invalid(field, `must be valid JSON (${error instanceof SyntaxError ? error.message : "unparseable"})`);
  }
}
