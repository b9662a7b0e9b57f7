/**
 * Regenerates the trimmed service models the emulator validates requests against
 * (`local/aws/models/<service>.json`) from the published models that botocore ships:
 *
 *   apt-get install -y python3-botocore
 *   npx tsx local/aws/models/trim.ts [botocore-data-dir] [output-dir]
 *   npx biome format --write local/aws/models
 *
 * Only the operations the emulator serves are kept, with the input shapes they reach, stripped of
 * documentation. EC2's MaxResults ranges are not in its model (only in the reference pages), so they
 * live in `ec2/filters.ts` (`PAGE_RANGES`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLOUDWATCH_ACTIONS } from "../cloudwatch";
import { EC2_ACTIONS } from "../ec2";
import { SNS_ACTIONS } from "../sns";
import { SSM_ACTIONS } from "../ssm";
import { STEP_FUNCTIONS_ACTIONS } from "../stepfunctions";
import type { Model, Shape } from "./shapes";

const KEPT_SHAPE_FIELDS = [
  "type",
  "required",
  "members",
  "member",
  "key",
  "value",
  "min",
  "max",
  "pattern",
  "enum",
  "flattened",
] as const;
const KEPT_MEMBER_FIELDS = ["shape", "locationName", "queryName", "flattened"] as const;

type Raw = Record<string, unknown>;

function pick(from: Raw, fields: readonly string[]): Raw {
  const out: Raw = {};
  for (const f of fields) if (from[f] !== undefined) out[f] = from[f];
  return out;
}

function trim(dataDir: string, service: string, version: string, actions: readonly string[]): Model {
  const model = JSON.parse(readFileSync(join(dataDir, service, version, "service-2.json"), "utf8")) as {
    metadata: Raw;
    operations: Record<string, { input?: { shape: string } }>;
    shapes: Record<string, Raw>;
  };
  const shapes: Record<string, Shape> = {};
  const visit = (name: string) => {
    if (shapes[name]) return;
    const raw = model.shapes[name];
    if (!raw) throw new Error(`${service}: no shape ${name}`);
    const shape = pick(raw, KEPT_SHAPE_FIELDS) as Raw;
    shapes[name] = shape as unknown as Shape;
    if (raw.members) {
      const members: Raw = {};
      for (const [m, ref] of Object.entries(raw.members as Record<string, Raw>)) {
        members[m] = pick(ref, KEPT_MEMBER_FIELDS);
        visit(ref.shape as string);
      }
      shape.members = members;
    }
    for (const ref of ["member", "key", "value"] as const) {
      const r = raw[ref] as Raw | undefined;
      if (r) {
        shape[ref] = pick(r, KEPT_MEMBER_FIELDS);
        visit(r.shape as string);
      }
    }
  };
  const operations: Record<string, string> = {};
  for (const action of actions) {
    const op = model.operations[action];
    if (!op) throw new Error(`${service} ${version} has no operation ${action}`);
    if (op.input) {
      operations[action] = op.input.shape;
      visit(op.input.shape);
    }
  }
  const sorted = Object.fromEntries(Object.entries(shapes).sort(([a], [b]) => a.localeCompare(b)));
  return {
    source: `botocore data/${service}/${version}/service-2.json`,
    protocol: String(model.metadata.protocol),
    apiVersion: String(model.metadata.apiVersion),
    operations,
    shapes: sorted,
  };
}

const dataDir = process.argv[2] ?? "/usr/lib/python3/dist-packages/botocore/data";
const outDir = process.argv[3] ?? __dirname;
const out = (name: string, model: Model) =>
  writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(model, null, 2)}\n`);
out("ec2", trim(dataDir, "ec2", "2016-11-15", EC2_ACTIONS));
out("cloudwatch", trim(dataDir, "cloudwatch", "2010-08-01", CLOUDWATCH_ACTIONS));
out("sns", trim(dataDir, "sns", "2010-03-31", SNS_ACTIONS));
out("ssm", trim(dataDir, "ssm", "2014-11-06", SSM_ACTIONS));
out("stepfunctions", trim(dataDir, "stepfunctions", "2016-11-23", STEP_FUNCTIONS_ACTIONS));
