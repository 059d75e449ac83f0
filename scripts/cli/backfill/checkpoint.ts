// The backfill's checkpoint: which chunks of which inputs are registered,
// the run's write time and its availability (so a resumed run writes
// byte-identical files and registrations). Written atomically (temporary file + rename) after
// every finished chunk, so a killed run loses at most the chunks in flight.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Availability } from "../../../src/records";
import { messageOf, usage } from "../errors";

export const CHECKPOINT_VERSION = 1;

/** An input's progress: its chunks, and those registered. */
export interface InputProgress {
  name: string;
  rows: number;
  chunks: number;
  done: number[];
}

/** The checkpoint file's content (JSON). */
export interface CheckpointState {
  version: number;
  featureGroup: string;
  generation: string;
  writeTimeMs: number;
  /** Absent in checkpoints written before knowledge times existed. */
  availability?: Availability;
  chunkRows: number;
  /** By input identity. */
  inputs: Record<string, InputProgress>;
}

const describeAvailability = (a: Availability) => (a.from === "accepted" ? "accepted" : `eventTime + ${a.delayMs / 1000} s`);

export class Checkpoint {
  constructor(
    readonly path: string,
    readonly state: CheckpointState & { availability: Availability },
  ) {}

  /** Loads the checkpoint of this group generation, or starts a new one (notes returns why an old one was set aside). */
  static open(path: string, { featureGroup, generation, chunkRows, now, availability }: { featureGroup: string; generation: string; chunkRows: number; now: number; availability: Availability }): { checkpoint: Checkpoint; note: string | null } {
    const fresh = () => new Checkpoint(path, { version: CHECKPOINT_VERSION, featureGroup, generation, writeTimeMs: now, availability, chunkRows, inputs: {} });
    if (!existsSync(path)) return { checkpoint: fresh(), note: null };
    // The file is this CLI's own (written by save below); a file of another version or group is refused next.
    let state: CheckpointState;
    try {
      state = JSON.parse(readFileSync(path, "utf8")) as CheckpointState;
    } catch (error) {
      throw usage(`checkpoint ${path} is unreadable (${messageOf(error)}); remove it to start over`);
    }
    if (state.version !== CHECKPOINT_VERSION || state.featureGroup !== featureGroup) throw usage(`checkpoint ${path} belongs to another backfill (${state.featureGroup}); use --checkpoint to pick another file`);
    if (state.generation !== generation) return { checkpoint: fresh(), note: `checkpoint ${path} is of an earlier incarnation of ${featureGroup}; starting over` };
    // A checkpoint from before availabilities existed takes this run's; afterwards it is fixed, as the write time is.
    const pinned = (state.availability ??= availability);
    if (JSON.stringify(pinned) !== JSON.stringify(availability)) {
      throw usage(`checkpoint ${path} was started with knowledge time ${describeAvailability(pinned)}, not ${describeAvailability(availability)}; resume with the same --available-from/--available-delay, or use another --checkpoint`);
    }
    const note = state.chunkRows !== chunkRows ? `resuming with the checkpoint's chunk size ${state.chunkRows} (not ${chunkRows}), so chunks keep their keys` : null;
    return { checkpoint: new Checkpoint(path, { ...state, availability: pinned }), note };
  }

  get writeTimeMs(): number {
    return this.state.writeTimeMs;
  }

  get availability(): Availability {
    return this.state.availability;
  }

  get chunkRows(): number {
    return this.state.chunkRows;
  }

  /** The progress entry of an input, created on its first chunk. */
  input(identity: string, name: string, rows: number, chunks: number): InputProgress {
    const entry = (this.state.inputs[identity] ??= { name, rows, chunks, done: [] });
    entry.name = name;
    return entry;
  }

  isComplete(identity: string): boolean {
    const entry = this.state.inputs[identity];
    return entry !== undefined && entry.done.length === entry.chunks;
  }

  /** Records a registered chunk (its input's entry exists: write created it) and saves the file. */
  markDone(identity: string, chunk: number): void {
    const entry = this.state.inputs[identity];
    if (!entry) throw new Error(`checkpoint: no entry for input ${identity}`);
    if (!entry.done.includes(chunk)) entry.done.push(chunk);
    entry.done.sort((a, b) => a - b);
    this.save();
  }

  save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.state, null, 1)}\n`);
    renameSync(temporary, this.path);
  }
}
