/** How the catalog prints times and sizes: UTC, to the second, so pages read the same for everyone. */

export function isoTime(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined || !Number.isFinite(epochMs)) return "—";
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** A value for a table cell: strings as they are, everything else as JSON. */
export function cell(value: unknown): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : typeof value === "bigint" ? value.toString() : JSON.stringify(value);
}
