import { z } from "zod";
import { CONSISTENCIES } from "../lib/consistency";
import type { DriveItem } from "../lib/drive";
import { type SetProps, takeSet } from "../lib/snapshot-set";
import { defineHandler } from "./common";

/** The child execution's server and its consistency, as Plan wrote them to the manifest. */
const schema = z.object({
  instanceId: z.string().min(1),
  host: z.string(),
  consistency: z
    .object({
      requested: z.enum(CONSISTENCIES as [string, ...string[]]),
      fallback: z.enum(["instance", "skip"]),
      timeoutSeconds: z.number().int().min(1),
      platform: z.enum(["linux", "windows"]),
      excludeBoot: z.boolean(),
      excludeDataVolumeIds: z.array(z.string()),
    })
    .passthrough(),
  drives: z
    .array(
      z.object({ runId: z.string().min(1), region: z.string().min(1), volumeId: z.string() }).passthrough(),
    )
    .min(1),
  uncertain: z.boolean().default(false),
});

/**
 * One server's snapshot set (lib/snapshot-set.ts): the pre script, one CreateSnapshots call, the
 * post script. Its outcome goes to every drive of the server, whose steps follow their snapshot.
 */
export const { make, handler } = defineHandler("set", schema, async (input, { config, deps }) => {
  const drives = input.drives as unknown as DriveItem[];
  const first = drives[0] as DriveItem;
  return takeSet(
    {
      runId: first.runId,
      region: first.region,
      instanceId: input.instanceId,
      host: input.host,
      consistency: input.consistency as unknown as SetProps["consistency"],
      drives,
      uncertain: input.uncertain,
      freezeDocument: config.freezeDocument,
    },
    deps,
  );
});
