// The backfill's checkpoint: which chunks of which inputs are registered,
// the run's write time and its availability (so a resumed run writes
// byte-identical files and registrations). Written atomically (temporary file + rename) after
// every finished chunk, so a killed run loses at most the chunks in flight.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { usage } from "../errors.mjs";

export const CHECKPOINT_VERSION = 1;

const describeAvailability = (a) => (a.from === "accepted" ? "accepted" : `eventTime + ${a.delayMs / 1000} s`);

export class Checkpoint {
  /** @param {string} path @param {{ version: number, featureGroup: string, generation: string, writeTimeMs: number, availability?: { from: "accepted" } | { from: "eventTime", delayMs: number }, chunkRows: number, inputs: Record<string, { name: string, rows: number, chunks: number, done: number[] }> }} state */
  constructor(path, state) {
    this.path = path;
    this.state = state;
  }

  /** Loads the checkpoint of this group generation, or starts a new one (notes returns why an old one was set aside). */
  static open(path, { featureGroup, generation, chunkRows, now, availability }) {
    const fresh = () => new Checkpoint(path, { version: CHECKPOINT_VERSION, featureGroup, generation, writeTimeMs: now, availability, chunkRows, inputs: {} });
    if (!existsSync(path)) return { checkpoint: fresh(), note: null };
    let state;
    try {
      state = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw usage(`checkpoint ${path} is unreadable (${error.message}); remove it to start over`);
    }
    if (state.version !== CHECKPOINT_VERSION || state.featureGroup !== featureGroup) throw usage(`checkpoint ${path} belongs to another backfill (${state.featureGroup}); use --checkpoint to pick another file`);
    if (state.generation !== generation) return { checkpoint: fresh(), note: `checkpoint ${path} is of an earlier incarnation of ${featureGroup}; starting over` };
    // A checkpoint from before availabilities existed takes this run's; afterwards it is fixed, as the write time is.
    state.availability ??= availability;
    if (JSON.stringify(state.availability) !== JSON.stringify(availability)) {
      throw usage(`checkpoint ${path} was started with knowledge time ${describeAvailability(state.availability)}, not ${describeAvailability(availability)}; resume with the same --available-from/--available-delay, or use another --checkpoint`);
    }
    const note = state.chunkRows !== chunkRows ? `resuming with the checkpoint's chunk size ${state.chunkRows} (not ${chunkRows}), so chunks keep their keys` : null;
    return { checkpoint: new Checkpoint(path, state), note };
  }

  get writeTimeMs() {
    return this.state.writeTimeMs;
  }

  get availability() {
    return this.state.availability;
  }

  get chunkRows() {
    return this.state.chunkRows;
  }

  input(identity, name, rows, chunks) {
    const entry = (this.state.inputs[identity] ??= { name, rows, chunks, done: [] });
    entry.name = name;
    return entry;
  }

  isComplete(identity) {
    const entry = this.state.inputs[identity];
    return entry !== undefined && entry.done.length === entry.chunks;
  }

  markDone(identity, chunk) {
    const entry = this.state.inputs[identity];
    if (!entry.done.includes(chunk)) entry.done.push(chunk);
    entry.done.sort((a, b) => a - b);
    this.save();
  }

  save() {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.state, null, 1)}\n`);
    renameSync(temporary, this.path);
  }
}
