// What `npm start` shows of wrangler's output. wrangler has no quieter mode
// that keeps the worker's own console output (WRANGLER_LOG=warn hides
// console.log of the worker too), so start.mjs reads wrangler's lines and
// drops the few blocks it knows to be noise for this project. Everything
// else, errors and unknown warnings first, passes through unchanged.

// ANSI colour and style sequences, which wrangler writes even to a pipe.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** A line without colour codes. */
export const plain = (line) => line.replace(ANSI, "");

const MIGRATION_NAME = /\b(\d{4}_[A-Za-z0-9_-]+)\.sql\b/g;

/**
 * One line for `wrangler d1 migrations apply`: which migrations it applied,
 * or that there were none. wrangler prints a table per migration; the names
 * in them are the migrations applied (it lists only pending ones).
 *
 * @param {string} output stdout and stderr of a successful apply
 */
export function migrationSummary(output) {
  const text = plain(output);
  if (/No migrations to apply/i.test(text)) return "D1 migrations: up to date";
  const names = [...new Set([...text.matchAll(MIGRATION_NAME)].map((m) => m[1]))].sort();
  if (names.length === 0) return "D1 migrations: applied (wrangler named none)";
  return `D1 migrations: ${names.length} applied (${names.join(", ")})`;
}

/** Lines wrangler dev prints on its own that say nothing start.mjs does not say better. */
const DROP_LINE = [
  /^Using (secrets|vars) defined in /,
  /^Service bindings, Durable Object bindings, and Tail consumers connect to other /,
  /^⎔ Starting local server/,
  // start.mjs prints its own banner when it sees this line.
  /^\[wrangler:info\] Ready on /,
];

/** Starts a bindings table; its rows follow until a blank line. */
const BINDINGS_TABLE = /has access to the following bindings:$/;
const BINDINGS_ROW = /^(Binding\s+Resource\s+Mode|env\.\S+)/;

/** wrangler's hint to curl the scheduled handler by hand: start.mjs drives it. */
const SCHEDULED_HINT = /\[WARNING\] Scheduled Workers are not automatically triggered during local development/;

/** The config warning whose only items are the S3 credentials being experimental (they are local only, on purpose). */
const CONFIG_WARNING = /\[WARNING\] Processing wrangler(\.[\w-]+)?\.toml configuration:$/;
const EXPECTED_CONFIG_ITEM = /experimental_s3_credentials" fields are experimental/;

/**
 * A line filter for one wrangler dev output stream: call it with each line
 * (no newline), print what it returns. Dropping is by known block only:
 * a line it does not recognise ends any block and is printed.
 *
 * @returns {(line: string) => string[]}
 */
export function devOutputFilter() {
  /** @type {null | "table" | "hint" | "config"} */
  let block = null;
  /** The config warning's header, held until an item shows it is worth printing. */
  let heldHeader = null;
  let dropBlanks = false;

  return (line) => {
    const text = plain(line).trimEnd();
    const blank = text.trim() === "";
    if (block === "table") {
      if (BINDINGS_ROW.test(text)) return [];
      block = null;
      if (blank) return [];
    }
    if ((block === "hint" || block === "config") && (blank || /^\s/.test(text))) {
      if (blank || block === "hint" || EXPECTED_CONFIG_ITEM.test(text)) return [];
      // An item of the config warning worth reading: print it under its header.
      const out = heldHeader === null ? [line] : [heldHeader, line];
      heldHeader = null;
      return out;
    }
    block = null;
    heldHeader = null;
    if (blank) return dropBlanks ? [] : [line];
    dropBlanks = false;
    if (DROP_LINE.some((pattern) => pattern.test(text))) return (dropBlanks = true), [];
    if (BINDINGS_TABLE.test(text)) return (block = "table"), (dropBlanks = true), [];
    if (SCHEDULED_HINT.test(text)) return (block = "hint"), (dropBlanks = true), [];
    if (CONFIG_WARNING.test(text)) return (block = "config"), (heldHeader = line), (dropBlanks = true), [];
    return [line];
  };
}
