import { externalReadNotes } from "../crypto/offline-objects";
import { invalid, ok } from "../failure";
import { describeOfflineStore } from "../offline/external";
import type { OfflineLocationConfig } from "../offline/layout";
import { activeFiles } from "../offline/manifest";
import type { StoreContext } from "./context";
import { encryptionView } from "./encryption";
import { describeFeatureGroup, outboxSummary } from "./feature-groups";

/**
 * A group's offline store as engines read it: location, the manifest's
 * files, columns and SQL per engine (with the SSE-C notes when its objects
 * are encrypted), and the acknowledged rows not yet in a registered file.
 */
export async function offlineStoreOf(ctx: StoreContext, location: OfflineLocationConfig, name: string) {
  const described = await describeFeatureGroup(ctx, name);
  if (!described.ok) return described;
  const group = described.value;
  if (!group.offlineStore.enabled) return invalid("name", `feature group ${group.name} has no offline store`);
  const [files, pending, encryption] = await Promise.all([activeFiles(ctx.db, group.generation), outboxSummary(ctx, group), encryptionView(ctx, group)]);
  const description = describeOfflineStore(location, group, files);
  const sse = encryption.offline.activeKeyVersion;
  if (sse === undefined) return ok({ ...description, pending });
  const sql = Object.fromEntries(Object.entries(description.sql).map(([engine, text]) => [engine, `-- objects are SSE-C encrypted: see encryption.engines.${engine}\n${text}`])) as typeof description.sql;
  return ok({ ...description, sql, encryption: externalReadNotes(sse), pending });
}
