// What a command is: its help texts, its options (a node:util parseArgs
// spec plus help, required and choices), how many positionals it takes, and
// its run function. defineCommand types run's options and positionals from
// that spec, so a command reads `o.file` as a string, not as parseArgs'
// union of every option type.
import type { Api } from "./api";
import type { Config } from "./config";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly short?: string;
  readonly required?: boolean;
  readonly choices?: readonly string[];
  readonly help?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** [min, max] positionals; max Infinity for any number. */
export type PositionalSpec = readonly [number, number];

/** Where output goes: process.stdout/stderr, or a test's sink. */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface Context {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: Output;
  readonly stderr: Output;
  /** Prints a result to stdout: text as is, anything else as indented JSON. */
  print(value: unknown): void;
  /** Loaded on first use, so --help and usage errors need no credentials. */
  readonly config: Config;
  readonly api: Api;
}

/** Option values as parseArgs returns them, before defineCommand narrows them to a spec. */
export type ParsedValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/** A command with its spec erased: what dispatch and help need. */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly description?: string;
  readonly options?: OptionSpecs;
  readonly positionals?: PositionalSpec;
  run(ctx: Context, values: ParsedValues, positionals: string[]): Promise<number | void>;
}

export interface CommandGroup {
  readonly summary: string;
  readonly subcommands: Readonly<Record<string, Command>>;
}

type ScalarOf<S extends OptionSpec> = S["type"] extends "boolean" ? boolean : S extends { readonly choices: readonly (infer C extends string)[] } ? C : string;
type ValueOf<S extends OptionSpec> = S extends { readonly multiple: true } ? ScalarOf<S>[] : ScalarOf<S>;
type RequiredKeys<O extends OptionSpecs> = { [K in keyof O]: O[K] extends { readonly required: true } ? K : never }[keyof O];

/** The values of a spec's options: required ones always present, the others possibly undefined. */
export type ValuesOf<O extends OptionSpecs> = { readonly [K in RequiredKeys<O>]: ValueOf<O[K]> } & { readonly [K in Exclude<keyof O, RequiredKeys<O>>]?: ValueOf<O[K]> };

type Strings<N extends number, T extends string[] = []> = T["length"] extends N ? T : Strings<N, [...T, string]>;

/** [1, 1] → [string]; [1, Infinity] → [string, ...string[]]; [0, 0] → []. */
export type PositionalsOf<P extends PositionalSpec> = number extends P[1] ? [...Strings<P[0]>, ...string[]] : P[1] extends P[0] ? Strings<P[0]> : [...Strings<P[0]>, ...string[]];

export interface CommandSpec<O extends OptionSpecs, P extends PositionalSpec> {
  readonly summary: string;
  readonly usage: string;
  readonly description?: string;
  readonly options?: O;
  readonly positionals?: P;
  run(ctx: Context, values: ValuesOf<O>, positionals: PositionalsOf<P>): Promise<number | void>;
}

/**
 * A command whose run sees its options and positionals typed by its spec.
 * The narrowing is sound because dispatch (main.ts) parses with this very
 * spec: parseArgs gives each option its declared type, and required options,
 * choices and the positional count are checked before run is called.
 */
export function defineCommand<const O extends OptionSpecs = {}, const P extends PositionalSpec = readonly [0, 0]>(spec: CommandSpec<O, P>): Command {
  return { ...spec, run: (ctx, values, positionals) => spec.run(ctx, values as ValuesOf<O>, positionals as PositionalsOf<P>) };
}
