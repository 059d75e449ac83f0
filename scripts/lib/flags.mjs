// Command-line flags of the benchmark scripts: one parser, one --help, one
// rule for numeric settings.
import { parseArgs } from "node:util";

/** A numeric command-line flag in (0, max]; a benchmark with a nonsense setting measures nothing, so it stops. */
export function positiveFlag(flags, name, max = Infinity) {
  const n = Number(flags[name]);
  if (!(n > 0 && n <= max)) throw new Error(`--${name} must be a number between 0 and ${max}, got ${flags[name]}`);
  return n;
}

/**
 * The script's flags (node:util parseArgs `options`, plus --help, which
 * prints `help` and exits), and `positive(name, max)` for its numeric ones.
 */
export function scriptFlags(help, options) {
  const { values: flags } = parseArgs({ options: { ...options, help: { type: "boolean", default: false } } });
  if (flags.help) {
    console.log(help);
    process.exit(0);
  }
  return { flags, positive: (name, max) => positiveFlag(flags, name, max) };
}
