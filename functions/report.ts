import { reportDrive } from "../lib/report";
import { defineHandler } from "./common";
import { caughtErrorSchema, driveItemSchema, pruneResultSchema, snapshotStatusSchema } from "./schemas";

const schema = driveItemSchema.extend({
  snapshot: snapshotStatusSchema.optional(),
  pruned: pruneResultSchema.optional(),
  copy: snapshotStatusSchema.optional(),
  drPruned: pruneResultSchema.optional(),
  error: caughtErrorSchema.optional(),
});

export const { make, handler } = defineHandler("report", schema, (input, { config, deps }) =>
  reportDrive(input, { namespace: config.metricNamespace }, deps),
);
