import { invalid, ok, type Result } from "../failure";
import type { AppContext } from "./context";

/** A list query parameter given as `a,b` or repeated; empty items dropped. */
export function listParam(c: AppContext, name: string): string[] {
  return (c.req.queries(name) ?? []).flatMap((v) => v.split(",")).filter((v) => v !== "");
}

/** An enumerated query parameter, or its default when absent. */
export function enumParam<T extends string>(c: AppContext, name: string, allowed: readonly T[], fallback: T): Result<T> {
  const raw = c.req.query(name);
  if (raw === undefined) return ok(fallback);
  return (allowed as readonly string[]).includes(raw) ? ok(raw as T) : invalid(name, `must be one of ${allowed.join(", ")}`);
}

/** An integer query parameter within bounds, or its default when absent. */
export function intParam(c: AppContext, name: string, min: number, max: number, fallback: number): Result<number> {
  const raw = c.req.query(name);
  if (raw === undefined) return ok(fallback);
  const value = Number(raw);
  return /^\d+$/.test(raw) && value >= min && value <= max ? ok(value) : invalid(name, `must be an integer from ${min} to ${max}`);
}
