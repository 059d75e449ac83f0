import { z } from "zod";
import { named, timestamp } from "./common";

/** Answers of the offline-store routes. */

export const deadLetterList = named(
  "DeadLetterList",
  z.object({
    deadLetters: z.array(
      z.object({
        messageId: z.string(),
        batchId: z.string().nullable(),
        attempts: z.number().int(),
        receivedAt: timestamp,
        replays: z.number().int(),
        replayedAt: timestamp.nullable(),
        body: z.unknown().describe("The queue message as it was given up on."),
      }),
    ),
  }),
);

export const replayReport = named(
  "ReplayReport",
  z.object({
    replayed: z.array(z.object({ messageId: z.string(), batchId: z.string().nullable(), outcome: z.enum(["sent", "already_registered", "unreadable"]) })),
    notFound: z.array(z.string()).describe("Named message ids that are not dead letters."),
    remaining: z.number().int().describe("Dead letters never replayed that remain."),
  }),
);
