// Progress on stderr: a self-rewriting bar on a terminal (at most 10
// updates a second), a plain line every 5 seconds otherwise (logs, CI):
// share of the input bytes done, rows, rows/s, ETA, the current file and chunk.
import type { Output } from "../command";

const fmt = new Intl.NumberFormat("en-US");
const BAR_WIDTH = 24;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(Math.ceil(seconds % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export class Progress {
  readonly tty: boolean;
  readonly quiet: boolean;
  readonly totalBytes: number;
  readonly started = performance.now();
  rows = 0;
  bytes = 0;
  lastDraw = 0;
  label = "";

  constructor(
    readonly stream: Output,
    { totalBytes, quiet = false }: { totalBytes: number; quiet?: boolean | undefined },
  ) {
    this.tty = Boolean(stream.isTTY);
    this.quiet = quiet;
    this.totalBytes = Math.max(1, totalBytes);
  }

  advance({ rows = 0, bytes = 0, label }: { rows?: number; bytes?: number; label?: string } = {}): void {
    this.rows += rows;
    this.bytes += bytes;
    if (label !== undefined) this.label = label;
    const now = performance.now();
    if (now - this.lastDraw >= (this.tty ? 100 : 5000)) this.draw(now);
  }

  line(now = performance.now()): string {
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? this.rows / seconds : 0;
    const fraction = Math.min(1, this.bytes / this.totalBytes);
    const eta = fraction > 0 ? (seconds / fraction) * (1 - fraction) : Infinity;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = this.tty ? `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ` : "";
    return `${bar}${(fraction * 100).toFixed(1)}% ${fmt.format(this.rows)} rows ${fmt.format(Math.round(rate))} rows/s ETA ${duration(eta)} ${this.label}`.trim();
  }

  draw(now = performance.now()): void {
    this.lastDraw = now;
    if (this.quiet) return;
    // On a terminal the line must fit its width, or each redraw would scroll.
    this.stream.write(this.tty ? `\r\x1b[2K${this.line(now).slice(0, (this.stream.columns ?? 120) - 1)}` : `${this.line(now)}\n`);
  }

  /** A message on its own line (the progress line is redrawn after it). */
  note(text: string): void {
    if (this.tty && !this.quiet) this.stream.write("\r\x1b[2K");
    this.stream.write(`${text}\n`);
  }

  finish(): void {
    if (this.quiet) return;
    this.stream.write(this.tty ? `\r\x1b[2K${this.line()}\n` : `${this.line()}\n`);
  }
}
